"""The sandbox org's own contract: Salesforce-shaped errors, the SOQL subset, control routes, its CLI."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest
import requests

from qxo.salesforce import SalesforceApiError
from qxo.sandbox.salesforce.soql import SoqlError, parse


async def http(sandbox, method: str, path: str, **kwargs) -> requests.Response:
    # The sandbox serves from this test's event loop: a blocking client must run in a thread.
    return await asyncio.to_thread(
        requests.request, method, sandbox.instance_url + path, verify=sandbox.ca_path, timeout=10, **kwargs
    )


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT FROM User", "MALFORMED_QUERY"),
        ("SELECT Id FROM User WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM User WHERE Username = 'a\\q'", "MALFORMED_QUERY"),
        ("SELECT Id FROM User LIMIT", "MALFORMED_QUERY"),
        ("SELECT Id FROM Invoice__c", "INVALID_TYPE"),
        ("SELECT Id FROM LoginIpRange", "INVALID_TYPE"),
        ("SELECT Nope FROM User", "INVALID_FIELD"),
        ("SELECT Nope.Name FROM User", "INVALID_FIELD"),
    ],
)
async def test_queries_outside_the_subset_get_salesforce_errors(connection, soql, code):
    with pytest.raises(SalesforceApiError) as caught:
        await connection.query(soql)
    assert caught.value.error_code == code
    assert caught.value.status == 400


async def test_where_in_and_literals_filter_rows(connection):
    rows = await connection.query(
        "SELECT SobjectType, PermissionsCreate FROM ObjectPermissions "
        "WHERE SobjectType IN ('Case', 'Lead') AND PermissionsCreate = true"
    )
    assert rows == [{"SobjectType": "Case", "PermissionsCreate": True}]


def test_parser_reads_escaped_quotes_and_limit():
    query = parse(r"select Id from User where Username = 'o\'brien@x' limit 1")
    assert query.where == ("=", "Username", "o'brien@x") and query.limit == 1
    with pytest.raises(SoqlError):
        parse("SELECT Id FROM User WHERE")


async def test_unknown_session_is_invalid_session_id(sandbox):
    response = await http(
        sandbox,
        "GET",
        "/services/data/v60.0/query",
        params={"q": "SELECT Id FROM User"},
        headers={"Authorization": "Bearer nope"},
    )
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


async def test_describe_lists_record_types_with_availability(connection):
    described = await connection.describe("Case")
    infos = {i["developerName"]: i for i in described["recordTypeInfos"]}
    assert infos["Support_Case"]["available"] is True
    assert infos["Internal_Case"]["available"] is False
    assert infos["Master"]["master"] is True
    with pytest.raises(SalesforceApiError) as caught:
        await connection.describe("Invoice__c")
    assert caught.value.error_code == "NOT_FOUND"


async def test_limits_and_userinfo(sandbox, connection):
    assert (await connection.limits())["DailyApiRequests"]["Max"] == 15000
    info = await connection.userinfo()
    assert info["user_id"] == sandbox.org["user"]["id"]


async def test_org_patch_route_validates_and_names_the_field(sandbox):
    bad = await http(sandbox, "PATCH", "/_sandbox/org", json={"user": {"profile": "Nobody"}})
    assert bad.status_code == 422 and "user.profile" in bad.json()["message"]
    good = await http(sandbox, "PATCH", "/_sandbox/org", json={"sessionSettings": {"lockSessionsToIp": True}})
    assert good.status_code == 200
    assert (await http(sandbox, "GET", "/_sandbox/org")).json()["sessionSettings"]["lockSessionsToIp"] is True


async def test_token_control_routes_revoke_and_mint(sandbox, make_settings, connection):
    from qxo.salesforce import RefreshTokenRevoked, refresh_access_token

    (await http(sandbox, "POST", "/_sandbox/tokens/revoke", json={})).raise_for_status()
    with pytest.raises(RefreshTokenRevoked):
        await refresh_access_token(make_settings(sandbox))
    minted = (await http(sandbox, "POST", "/_sandbox/tokens/mint")).json()["refresh_token"]
    assert (await refresh_access_token(make_settings(sandbox, refresh_token=minted))).access_token
    stats = (await http(sandbox, "GET", "/_sandbox/stats")).json()
    assert stats["tokenRequests"] == 2


async def test_a_session_that_outlives_its_refresh_still_fails_cleanly(sandbox, connection):
    await connection.query("SELECT Id FROM User")
    sandbox.revoke_refresh_tokens()
    sandbox.expire_access_tokens()
    from qxo.salesforce import RefreshTokenRevoked

    with pytest.raises(RefreshTokenRevoked):
        await connection.query("SELECT Id FROM User")
    # One refresh after the 401, refused as final: no further token calls.
    assert sandbox.counters["tokenRequests"] == 2


def test_the_sandbox_command_serves_until_stopped_and_doctor_passes_against_it(tmp_path):
    ca, creds_path = tmp_path / "ca.pem", tmp_path / "creds.json"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qxo",
            "sandbox",
            "salesforce",
            "--port",
            "0",
            "--ca-out",
            str(ca),
            "--credentials-out",
            str(creds_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):
            if creds_path.exists() and creds_path.stat().st_size:
                break
            assert server.poll() is None, server.stderr.read().decode()
            time.sleep(0.1)
        creds = json.loads(creds_path.read_text())
        assert set(creds) == {"login_url", "instance_url", "client_id", "client_secret", "refresh_token",
                              "organization_id", "production"}
        (tmp_path / "secret").write_text(creds["client_secret"])
        (tmp_path / "refresh").write_text(creds["refresh_token"])
        doctor = subprocess.run(
            [
                sys.executable,
                "-m",
                "qxo",
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
                str(ca),
                "--allow-endpoint",
                "127.0.0.1",
                "--require-object",
                "Contact:viewall,create",
                "--require-record-type",
                "Case.Support_Case",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert creds["refresh_token"] not in doctor.stdout + doctor.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
