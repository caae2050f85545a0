"""No access token, refresh token or client secret in any log line, exception message or repr."""

from __future__ import annotations

import logging

import pytest

from qxo.salesforce import (
    OAuthError,
    SalesforceConnection,
    SalesforceError,
    TokenHolder,
    refresh_access_token,
    run_preflight,
)
from qxo.salesforce.errors import redact


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text


async def test_no_secret_leaks_through_logs_errors_or_reprs(sandbox, make_settings, seed_requirements, caplog):
    caplog.set_level(logging.DEBUG)
    settings = make_settings(sandbox)
    connection = SalesforceConnection(settings)
    texts = [repr(settings), repr(connection)]
    try:
        await run_preflight(connection, seed_requirements)
        sandbox.expire_access_tokens()
        await connection.query("SELECT Id FROM User")  # the 401 and refresh path logs too
        token = connection.tokens.token
        texts += [repr(token), str(token), repr(connection.tokens)]
        access_tokens = [token.access_token]
        for patch in ({"knobs": {"tamperSignature": True}}, {"knobs": {"tokenEndpointFailures": 10}}):
            sandbox.patch_org(patch)
            with pytest.raises(SalesforceError) as caught:
                await refresh_access_token(settings)
            texts += [str(caught.value), repr(caught.value)]
            sandbox.patch_org({"knobs": {"tamperSignature": False, "tokenEndpointFailures": 0}})
        sandbox.revoke_refresh_tokens()
        with pytest.raises(SalesforceError) as caught:
            await TokenHolder(settings).current()
        texts += [str(caught.value), repr(caught.value)]
        with pytest.raises(SalesforceError) as caught:
            await connection.query("SELECT Nope FROM User")
        texts.append(str(caught.value))
    finally:
        connection.close()
    secrets = [settings.refresh_token, settings.client_secret, *access_tokens]
    assert_clean(caplog.text, secrets)
    for text in texts:
        assert_clean(text, secrets)
    assert "refreshed the Salesforce access token" in caplog.text  # the paths above did log


def test_redact_scrubs_an_echoed_secret_from_server_text():
    error = OAuthError("invalid_request", redact("bad token 5Aep861SECRETVALUE", ["5Aep861SECRETVALUE"]))
    assert "5Aep861SECRETVALUE" not in str(error)
    assert "***" in str(error)
