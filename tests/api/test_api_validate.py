"""`qxo validate`: files and directories, problems as `file: Kind/name: field: message`, exit codes, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from api_support import EXAMPLES

from qxo.api.validation import validate_paths
from qxo.cli import main

SECRET_VALUE = "FAKE-do-not-print-this-value-7f3a"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


BRAND = """\
apiVersion: qxo.dev/v1alpha1
kind: QualtricsBrand
metadata: {name: acme, namespace: team}
spec:
  brandId: acme
  datacenter: fra1
  credentials: {type: APIToken, apiTokenSecretRef: {name: acme-token}}
"""
ACCOUNT = """\
apiVersion: qxo.dev/v1alpha1
kind: ExtensionAccount
metadata: {{name: {name}, namespace: team}}
spec:
  installRef: {{name: webservice}}
  displayName: {display}
  credentials: {{secretRef: {{name: creds}}{keys}}}
"""
INSTALL = """\
apiVersion: qxo.dev/v1alpha1
kind: ExtensionInstall
metadata: {name: webservice, namespace: team}
spec: {brandRef: {name: acme}, extensionId: webservice}
"""


def grant(name: str, account: str) -> str:
    return f"""\
apiVersion: qxo.dev/v1alpha1
kind: AccountGrant
metadata: {{name: {name}, namespace: team}}
spec: {{accountRef: {{name: {account}}}, allUsers: {{}}}}
"""


def link(index: int, owner: str = "ana.lima@acme.example") -> str:
    return f"""\
apiVersion: qxo.dev/v1alpha1
kind: SalesforceLink
metadata: {{name: link-{index}, namespace: team}}
spec:
  brandRef: {{name: acme}}
  owner: {owner}
  environment: Sandbox
  oauth: {{clientSecretRef: {{name: app}}, refreshTokenSecretRef: {{name: token-{index}}}}}
"""


OWNER_WARNING = "Owner access is for Brand Administrators"


def test_examples_directory_is_valid_and_only_warns_about_owner_access(capsys):
    assert main(["validate", str(EXAMPLES)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith("warning: ") and OWNER_WARNING in line for line in lines)


def test_every_example_file_passes_alone_or_only_warns_about_refs_elsewhere():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        report = validate_paths([path])
        assert report.valid, [problem.display() for problem in report.problems]
        assert all(problem.message.endswith(("must exist in namespace qxo-demo",)) or OWNER_WARNING in problem.message
                   for problem in report.problems)


def test_problems_are_printed_as_file_kind_name_field_message_and_exit_1(tmp_path, capsys):
    path = write(tmp_path, "grant.yaml", grant("g", "acct").replace("allUsers: {}", "allUsers: {access: Owner}"))
    assert main(["validate", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert f"{path}: AccountGrant/g: spec.allUsers.access: " in lines[0]
    assert "Owner access cannot be granted to all users" in lines[0]


def test_json_output_lists_problems_with_every_key(tmp_path, capsys):
    path = write(tmp_path, "a.yaml", BRAND.replace("fra1", "FRA1"))
    assert main(["validate", "--output", "json", str(path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    [problem] = report["problems"]
    assert set(problem) == {"file", "kind", "name", "namespace", "field", "message", "severity", "line"}
    assert problem["field"] == "spec.datacenter"
    assert problem["line"] == 1  # the document's first line
    assert (problem["kind"], problem["name"], problem["namespace"], problem["severity"]) == (
        "QualtricsBrand", "acme", "team", "error")


def test_warnings_alone_exit_0(tmp_path, capsys):
    path = write(tmp_path, "install.yaml", INSTALL)
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == (f"warning: {path}: ExtensionInstall/webservice: spec.brandRef.name: "
                                       "QualtricsBrand 'acme' is not among these manifests; it must exist in "
                                       "namespace team\n")
    assert main(["validate", "-o", "json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True
    assert [p["severity"] for p in report["problems"]] == ["warning"]


def test_directories_are_walked_recursively_for_yaml_and_yml(tmp_path):
    write(tmp_path, "a/brand.yml", BRAND)
    write(tmp_path, "a/b/install.yaml", INSTALL)
    write(tmp_path, "a/notes.txt", "not: [yaml")
    report = validate_paths([tmp_path])
    assert report.valid
    assert report.problems == []


def test_yaml_syntax_errors_name_file_and_line(tmp_path):
    path = write(tmp_path, "broken.yaml", BRAND + "---\nkind: Secret\nmetadata: {name: [oops\n")
    report = validate_paths([path])
    [problem] = report.problems
    assert problem.file == str(path)
    assert "line 11" in problem.message


def test_missing_path_is_an_error(tmp_path):
    report = validate_paths([tmp_path / "nope.yaml"])
    assert not report.valid
    assert "no such file" in report.problems[0].message


def test_non_qxo_documents_are_accepted_and_a_document_without_kind_is_not(tmp_path):
    path = write(tmp_path, "mixed.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
                                         "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
                                         "---\nfoo: bar\n---\n- a list\n")
    problems = validate_paths([path]).problems
    assert [(p.field, p.severity) for p in problems] == [("apiVersion", "error"), ("", "error")]


def test_unknown_qxo_kind_and_version_are_refused(tmp_path):
    path = write(tmp_path, "x.yaml", BRAND.replace("QualtricsBrand", "QualtricsOrg") + "---\n"
                 + BRAND.replace("v1alpha1", "v1"))
    assert [p.field for p in validate_paths([path]).problems] == ["kind", "apiVersion"]


def test_unknown_fields_are_errors_naming_the_field(tmp_path):
    path = write(tmp_path, "x.yaml", BRAND + "  region: eu\n")
    [problem] = validate_paths([path]).problems
    assert problem.field == "spec.region"
    assert "unknown field" in problem.message


def test_one_account_grant_per_account(tmp_path):
    path = write(tmp_path, "grants.yaml", grant("first", "acct") + "---\n" + grant("second", "acct"))
    errors = [p for p in validate_paths([path]).problems if p.severity == "error"]
    assert [(p.name, p.field) for p in errors] == [("second", "spec.accountRef.name")]
    assert "one AccountGrant per account" in errors[0].message


def test_no_limit_on_salesforce_links_per_owner(tmp_path):
    # "At most 5 per user" is stated by no Qualtrics page: validate does not invent it.
    links = [link(i) for i in range(7)]
    path = write(tmp_path, "links.yaml", BRAND + "---\n" + "---\n".join(links))
    assert [p for p in validate_paths([path]).problems if p.severity == "error"] == []


def test_owner_access_warns_that_only_brand_administrators_may_hold_it(tmp_path):
    grant_with_owner = """\
apiVersion: qxo.dev/v1alpha1
kind: AccountGrant
metadata: {name: owners, namespace: team}
spec:
  accountRef: {name: acct}
  users:
  - {user: ana.lima@acme.example, access: User}
  - {user: dana.berg@acme.example, access: Owner}
"""
    path = write(tmp_path, "grant.yaml", grant_with_owner)
    warnings = [p for p in validate_paths([path]).problems if p.field.startswith("spec.users")]
    assert [(p.severity, p.field) for p in warnings] == [("warning", "spec.users[1].access")]
    assert "Brand Administrators" in warnings[0].message and "dana.berg@acme.example" in warnings[0].message


INSTALL_OF = """\
apiVersion: qxo.dev/v1alpha1
kind: ExtensionInstall
metadata: {{name: crm, namespace: team}}
spec: {{brandRef: {{name: acme}}, extensionId: {ext}, domains: {domains}}}
"""


def test_a_non_editable_extension_may_declare_exactly_its_domains(tmp_path):
    exact = INSTALL_OF.format(ext="salesforce", domains="[https://*.force.com, https://*.salesforce.com]")
    other = INSTALL_OF.format(ext="salesforce", domains="[https://*.force.com]")
    assert [p for p in validate_paths([write(tmp_path, "exact.yaml", exact)]).problems
            if p.severity == "error"] == []
    [problem] = [p for p in validate_paths([write(tmp_path, "other.yaml", other)]).problems
                 if p.severity == "error"]
    assert problem.field == "spec.domains" and "exactly its domains" in problem.message


def test_duplicate_objects_and_natural_keys_are_errors(tmp_path):
    account = ACCOUNT.format(name="a", display="Tickets", keys="")
    again = ACCOUNT.format(name="b", display="Tickets", keys="")
    path = write(tmp_path, "dups.yaml", "---\n".join([BRAND, BRAND, INSTALL, account, again]))
    errors = [(p.kind, p.name, p.field) for p in validate_paths([path]).problems if p.severity == "error"]
    assert errors == [("QualtricsBrand", "acme", "metadata.name"), ("ExtensionAccount", "b", "spec.displayName")]


def test_refs_to_objects_in_the_set_resolve_and_missing_ones_warn(tmp_path):
    path = write(tmp_path, "set.yaml", BRAND + "---\n" + INSTALL)
    assert validate_paths([path]).problems == []
    alone = write(tmp_path, "alone.yaml", INSTALL)
    [problem] = validate_paths([alone]).problems
    assert (problem.severity, problem.field) == ("warning", "spec.brandRef.name")


LABELLED = "labels: {qxo.dev/credentials: 'true'}"


def secret(keys: dict[str, str]) -> str:
    data = "".join(f"  {key}: {value}\n" for key, value in keys.items())
    return (f"apiVersion: v1\nkind: Secret\nmetadata: {{name: creds, namespace: team, {LABELLED}}}\n"
            f"stringData:\n{data}")


@pytest.mark.parametrize(("keys", "listed", "message"), [
    ({"username": SECRET_VALUE}, ", keys: [username, password]", "Secret 'creds' has no key 'password'"),
    ({}, "", "Secret 'creds' has no keys to use as credentials"),
])
def test_secrets_in_the_set_must_have_the_referenced_keys_and_values_never_print(tmp_path, capsys, keys, listed,
                                                                                  message):
    account = ACCOUNT.format(name="a", display="Tickets", keys=listed)
    path = write(tmp_path, "acct.yaml", "---\n".join([BRAND, INSTALL, account, secret(keys)]))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"ExtensionAccount/a: spec.credentials.secretRef: {message}" in out
    assert SECRET_VALUE not in out
    assert main(["validate", "-o", "json", str(path)]) == 1
    assert SECRET_VALUE not in capsys.readouterr().out


def test_secret_data_that_is_not_base64_is_reported_without_its_value(tmp_path, capsys):
    path = write(tmp_path, "s.yaml", f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata:\n  token: "
                                     f"{SECRET_VALUE}!\n")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Secret/s: data.token: not valid base64" in out
    assert SECRET_VALUE not in out


def test_brand_secret_keys_are_checked_for_api_token(tmp_path):
    token = (f"apiVersion: v1\nkind: Secret\nmetadata: {{name: acme-token, namespace: team, {LABELLED}}}\n"
             "stringData: {tok: x}\n")
    path = write(tmp_path, "b.yaml", BRAND + "---\n" + token)
    [problem] = validate_paths([path]).problems
    assert problem.field == "spec.credentials.apiTokenSecretRef"
    assert "no key 'token'" in problem.message


def test_qxo_validate_runs_as_a_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "qxo", "validate", str(EXAMPLES)], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")
    assert all(OWNER_WARNING in line for line in result.stdout.splitlines())


def test_an_inlined_secret_is_refused_as_an_unknown_field_without_echoing_it(tmp_path, capsys):
    account = ACCOUNT.format(name="a", display="Tickets", keys=f", password: {SECRET_VALUE}")
    path = write(tmp_path, "acct.yaml", account)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "spec.credentials.password: unknown field 'password'" in out
    assert SECRET_VALUE not in out


def test_pause_annotation_that_pauses_nothing_warns_and_empty_external_id_is_an_error(tmp_path):
    metadata = "metadata: {name: acme, namespace: team, annotations: {qxo.dev/paused: 'yes', qxo.dev/external-id: ''}}"
    path = write(tmp_path, "b.yaml", BRAND.replace("metadata: {name: acme, namespace: team}", metadata))
    problems = [(p.severity, p.field) for p in validate_paths([path]).problems]
    assert problems == [("warning", "metadata.annotations[qxo.dev/paused]"),
                        ("error", "metadata.annotations[qxo.dev/external-id]")]


def test_validate_object_checks_one_body_for_the_operator(example_documents):
    from qxo.api.validation import validate_object

    body = example_documents[("ExtensionInstall", "brandwatch")]
    assert validate_object(body)[0] == []
    assert validate_object(body)[1].spec.terms_accepted
    problems, obj = validate_object({**body, "spec": {**body["spec"], "termsAccepted": False}})
    assert [p.field for p in problems] == ["spec.termsAccepted"]
    problems, obj = validate_object({**body, "spec": {**body["spec"], "domains": ["http://x.example"]}})
    assert obj is None
    assert {p.field for p in problems} == {"spec.domains[0]"}


def test_duplicate_keys_are_refused_with_their_line(tmp_path):
    path = write(tmp_path, "dup.yaml", BRAND + "  datacenter: iad1\n")
    [problem] = validate_paths([path]).problems
    assert "line 8" in problem.message
    assert "duplicate key 'datacenter'" in problem.message
