"""`qxo doctor salesforce` against the sandbox: the table, JSON, exit codes 0/1/2, and no secret printed."""

from __future__ import annotations

import json

import pytest

from qxo.cli import main
from qxo.sandbox.salesforce import SalesforceSandbox

SEED_FLAGS = [
    "--require-object",
    "Contact:viewall,modifyall,create",
    "--require-object",
    "Case:create",
    "--require-field",
    "Contact.Email:read,edit",
    "--require-field",
    "Case.Subject:edit",
    "--require-record-type",
    "Case.Support_Case",
]


@pytest.fixture
def running():
    with SalesforceSandbox.run_in_thread() as sandbox:
        yield sandbox


@pytest.fixture
def flags(running, tmp_path):
    creds = running.credentials
    (tmp_path / "secret").write_text(creds["client_secret"] + "\n")
    (tmp_path / "refresh").write_text(creds["refresh_token"] + "\n")
    return [
        "doctor",
        "salesforce",
        "--env",
        "sandbox",
        "--login-url",
        creds["login_url"],
        "--client-id",
        creds["client_id"],
        "--client-secret-file",
        str(tmp_path / "secret"),
        "--refresh-token-file",
        str(tmp_path / "refresh"),
        "--ca-bundle",
        running.ca_path,
        "--allow-endpoint",
        "127.0.0.1",
    ]


def secrets_of(sandbox):
    return [sandbox.credentials["client_secret"], sandbox.credentials["refresh_token"], *sandbox.state.access_tokens]


def test_all_checks_pass_prints_a_table_and_exits_0(running, flags, capsys):
    assert main([*flags, *SEED_FLAGS]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert lines[0].split() == ["CHECK", "RESULT", "MESSAGE"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert rows == dict.fromkeys(
        [
            "Authenticated",
            "Environment",
            "ApiEnabled",
            "LoginIpRanges",
            "RecordTypes",
            "ObjectAccess",
            "FieldAccess",
            "SessionIpLocking",
            "RefreshTokenPolicy",
            "PermittedUsers",
        ],
        "Passed",
    )
    for secret in secrets_of(running):
        assert secret not in out + err


def test_a_broken_requirement_exits_1_with_its_row_failed(running, flags, capsys):
    running.patch_org({"connectedApps": {"Qualtrics Surveys": {"optionsAllowAdminApprovedUsersOnly": True}}})
    assert main([*flags, *SEED_FLAGS, "--output", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] is False
    failed = [c["name"] for c in report["checks"] if c["result"] != "Passed"]
    assert failed == ["PermittedUsers"]


def test_an_unknown_check_is_not_a_failure_unless_verification_is_required(running, flags, capsys):
    assert main([*flags, *SEED_FLAGS, "--connected-app", "Not Installed"]) == 0
    assert "Unknown" in capsys.readouterr().out
    assert main([*flags, *SEED_FLAGS, "--connected-app", "Not Installed", "--require-verified"]) == 1


def test_a_revoked_refresh_token_exits_1_and_says_so(running, flags, capsys):
    running.revoke_refresh_tokens()
    assert main([*flags, *SEED_FLAGS]) == 1
    out, err = capsys.readouterr()
    assert "Authenticated" in out and "RefreshTokenRevoked" in out
    for secret in secrets_of(running):
        assert secret not in out + err


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--require-object", "Contact"], "--require-object"),
        (["--require-object", "Contact:everything"], "objects[Contact].access"),
        (["--require-field", "ContactEmail:read"], "--require-field"),
        (["--require-record-type", "Support_Case"], "--require-record-type"),
        (["--ip-range", "not-a-cidr"], "--ip-range"),
    ],
)
def test_bad_usage_exits_2_naming_the_flag(flags, capsys, extra, named):
    assert main([*flags, *extra]) == 2
    assert named in capsys.readouterr().err


def test_unreadable_secret_file_exits_2(flags, capsys, tmp_path):
    index = flags.index("--refresh-token-file") + 1
    flags[index] = str(tmp_path / "missing")
    assert main(flags) == 2
    assert "--refresh-token-file" in capsys.readouterr().err


def test_missing_required_flag_is_an_argparse_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["doctor", "salesforce", "--refresh-token-file", "x"])
    assert caught.value.code == 2


def test_a_required_field_without_field_permissions_passes(running, flags, capsys):
    assert main([*flags, "--require-field", "Account.Name:read,edit", "--output", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    field_access = next(c for c in report["checks"] if c["name"] == "FieldAccess")
    assert field_access["result"] == "Passed" and "Account.Name" in field_access["message"]


def test_an_environment_that_contradicts_the_org_fails_its_check(running, flags, capsys):
    index = flags.index("--env") + 1
    flags[index] = "production"  # the sandbox's primary org is a Sandbox org
    assert main([*flags, *SEED_FLAGS, "--output", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    failed = {c["name"]: c["message"] for c in report["checks"] if c["result"] == "Failed"}
    assert list(failed) == ["Environment"]
    assert "Organization.IsSandbox = true" in failed["Environment"]
