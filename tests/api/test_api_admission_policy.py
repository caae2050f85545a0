"""The shipped ValidatingAdmissionPolicies are generated from qxo.api.policy and say its rules in its words."""

from __future__ import annotations

import re

import pytest
import yaml
from api_support import ROOT

from qxo.admission.cel import compile_expression
from qxo.api import admission_policy, policy
from qxo.api.admission_policy import FILENAME, cel_message, documents, render, render_chart_template


def test_manifests_policy_is_regenerated_from_the_rules():
    shipped = (ROOT / "manifests" / "policy" / FILENAME).read_text()
    assert shipped == render(), "manifests/policy is stale: run `make crds`"


def test_the_chart_template_is_the_same_documents_behind_a_switch():
    template = (ROOT / "charts" / "qxo" / "templates" / FILENAME).read_text()
    assert template == render_chart_template(), "the chart's admission policies are stale: run `make crds`"
    assert "{{- if .Values.admissionPolicies.enabled }}" in template


def test_main_writes_both_files(tmp_path):
    (tmp_path / "templates").mkdir()
    assert admission_policy.main([str(tmp_path / "policy"), "--chart-templates", str(tmp_path / "templates")]) == 0
    assert (tmp_path / "policy" / FILENAME).read_text() == render()
    assert (tmp_path / "templates" / FILENAME).read_text() == render_chart_template()


def test_every_policy_has_its_binding_evaluating_every_parameter_and_denying():
    docs = documents()
    policies = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ValidatingAdmissionPolicy"}
    bindings = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ValidatingAdmissionPolicyBinding"}
    assert set(policies) == set(bindings)
    for name, binding in bindings.items():
        assert binding["spec"]["policyName"] == name
        assert binding["spec"]["paramRef"] == {"selector": {}, "parameterNotFoundAction": "Allow"}
        assert binding["spec"]["validationActions"] == ["Deny"]
        spec = policies[name]["spec"]
        assert spec["failurePolicy"] == "Fail"
        assert spec["matchConstraints"]["resourceRules"][0]["operations"] == ["CREATE", "UPDATE"]
        assert [c["name"] for c in spec["matchConditions"]] == ["spec-changed"]


def test_each_rule_of_the_pure_module_is_one_validation_in_its_words():
    templates = {policy.IDS, policy.THIRD_PARTY, policy.PREVIEW, policy.TERMS, policy.PREVIEW_OPT_IN,
                 policy.DOMAINS, policy.ALL_USERS, policy.OWNER, policy.NOT_SELECTED}
    expressions = " ".join(v["messageExpression"] for d in documents() if d["kind"] == "ValidatingAdmissionPolicy"
                           for v in d["spec"]["validations"])
    for template in templates:
        for literal in re.split(r"\{\w+\}", template):
            assert literal.strip(" ()") in expressions, template
    # The one rule admission cannot check is the count of accounts.
    assert "maxPerNamespace" not in render()


def test_every_expression_compiles_in_qxos_cel():
    for doc in documents():
        if doc["kind"] != "ValidatingAdmissionPolicy":
            continue
        spec = doc["spec"]
        for entry in [*spec["matchConditions"], *spec["variables"], *spec["validations"]]:
            compile_expression(entry["expression"])
            if "messageExpression" in entry:
                compile_expression(entry["messageExpression"])


def test_cel_message_joins_literals_and_expressions_and_refuses_a_quote():
    assert cel_message("x {a} y", a="object.name") == "'x ' + object.name + ' y'"
    assert cel_message("{a}{b}", a="p", b="q") == "p + q"
    with pytest.raises(ValueError, match="escaping"):
        cel_message("it's {a}", a="x")


def test_manifests_kustomization_includes_the_policies():
    kustomization = yaml.safe_load((ROOT / "manifests" / "policy" / "kustomization.yaml").read_text())
    assert kustomization["resources"] == [FILENAME]
    assert "policy" in yaml.safe_load((ROOT / "manifests" / "kustomization.yaml").read_text())["resources"]
