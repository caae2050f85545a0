"""`qxo validate --policy FILE...`: a team's manifests checked against the platform's policies and cluster brands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from api_support import EXAMPLES

from qxo.api.validation import validate_paths
from qxo.cli import main
from tenancycases import CASES, CLUSTER_BRAND, POLICIES, namespace_documents, verdict

TENANCY = EXAMPLES / "tenancy"
PLATFORM = TENANCY / "10-platform.yaml"


@pytest.fixture
def platform(tmp_path: Path) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump_all([*namespace_documents(), CLUSTER_BRAND, *POLICIES]))
    return path


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_request_gets_the_verdict_admission_gives(tmp_path, platform, case):
    manifest = tmp_path / "team.yaml"
    manifest.write_text(yaml.safe_dump(case.body))
    report = validate_paths([manifest], policy_paths=[platform])
    expected = verdict(case)
    errors = [p for p in report.problems if p.severity == "error"]
    if expected is None:
        assert errors == []
    else:
        assert [(p.field, p.message) for p in errors][:1] == [(expected.field, expected.text())]


def test_the_tenancy_examples_pass_and_the_refused_request_fails_naming_the_rule(capsys):
    assert main(["validate", str(TENANCY / "00-namespaces.yaml"), str(TENANCY / "20-shared-installs.yaml"),
                 str(TENANCY / "30-team-marketing.yaml"), str(TENANCY / "40-team-support.yaml"),
                 "--policy", str(PLATFORM)]) == 0
    capsys.readouterr()
    assert main(["validate", str(TENANCY), "--policy", str(PLATFORM), "-o", "json"]) == 1
    [error] = [p for p in json.loads(capsys.readouterr().out)["problems"] if p["severity"] == "error"]
    assert (error["name"], error["field"]) == ("google-sheets", "spec.extensionId")
    assert error["message"] == ("ExtensionPolicy teams (spec.extensions.ids): spec.extensionId: extension "
                                "google-sheets is not one this namespace may use (whatsapp-twilio, smtp-relay, jira)")


def test_without_policy_the_same_files_are_valid():
    assert validate_paths([TENANCY]).valid
    assert validate_paths([EXAMPLES]).valid


def test_labels_from_the_command_line_when_the_namespace_is_not_in_the_files(capsys):
    refused = str(TENANCY / "refused")
    assert main(["validate", refused, "--policy", str(PLATFORM)]) == 0
    warning = capsys.readouterr().out
    assert "the labels of namespace 'team-marketing' are unknown" in warning and "--namespace-labels" in warning
    assert main(["validate", refused, "--policy", str(PLATFORM), "--namespace-labels",
                 "team-marketing=qxo.dev/tenant=true", "--namespace-labels", "team-marketing=qxo.dev/brand-acme=true"
                 ]) == 1
    assert "(spec.extensions.ids)" in capsys.readouterr().out


def test_a_namespace_outside_the_brands_selector_is_refused_naming_the_field(capsys):
    main(["validate", str(TENANCY / "refused"), "--policy", str(PLATFORM),
          "--namespace-labels", "team-marketing=qxo.dev/tenant=true"])
    out = capsys.readouterr().out
    assert ("spec.brandRef: ClusterQualtricsBrand acme (spec.namespaceSelector): spec.brandRef: namespace "
            "team-marketing may not use this brand") in out


@pytest.mark.parametrize("argv", [
    ["--namespace-labels", "team-marketing"],
    ["--namespace-labels", "=a=b"],
    ["--namespace-labels", "ns=k=v"],  # without --policy
])
def test_malformed_or_misplaced_namespace_labels_are_usage_errors(argv, capsys):
    policy = [] if argv[-1] == "ns=k=v" else ["--policy", str(PLATFORM)]
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(TENANCY / "refused"), *policy, *argv])
    assert exit_.value.code == 2
    assert "--namespace-labels" in capsys.readouterr().err


def test_the_rules_admission_cannot_check_are_checked_offline(tmp_path):
    team = tmp_path / "team.yaml"
    accounts = [{"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionAccount",
                 "metadata": {"name": f"a{i}", "namespace": "team-marketing"},
                 "spec": {"brandRef": {"kind": "ClusterQualtricsBrand", "name": "acme"}, "extensionId": extension,
                          "displayName": f"A{i}", "credentials": {"secretRef": {"name": "s"}}}}
                for i, extension in enumerate(["whatsapp-twilio", "smtp-relay", "jira", "jira"])]
    team.write_text(yaml.safe_dump_all(accounts))
    policy = tmp_path / "policy.yaml"
    policy.write_text(PLATFORM.read_text().replace("thirdParty: true ", "thirdParty: false"))
    report = validate_paths([team, TENANCY / "00-namespaces.yaml"], policy_paths=[policy])
    errors = [(p.name, p.field, p.message.split(": ", 1)[0]) for p in report.problems if p.severity == "error"]
    assert errors == [
        ("a0", "spec.extensionId", "ExtensionPolicy teams (spec.extensions.thirdParty)"),
        ("a3", "metadata.name", "ExtensionPolicy teams (spec.accounts.maxPerNamespace)"),
    ]


def test_policies_and_brands_in_the_checked_files_apply_too_and_count_once(tmp_path):
    report = validate_paths([TENANCY], policy_paths=[PLATFORM])
    errors = [p for p in report.problems if p.severity == "error"]
    assert len(errors) == 1  # the refused install, once, though the policy is in both places
    assert not any("is not among these manifests" in p.message for p in report.problems)
