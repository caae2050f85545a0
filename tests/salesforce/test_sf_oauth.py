"""The refresh_token grant against the sandbox's token endpoint: success, revocation, retries, signatures, TLS."""

from __future__ import annotations

import time

import pytest

from qxo.salesforce import OAuthError, RefreshTokenRevoked, SalesforceUnavailable, TokenSignatureInvalid
from qxo.salesforce.errors import TlsVerificationFailed
from qxo.salesforce.oauth import expected_signature, refresh_access_token


async def test_refresh_returns_a_verified_token_with_its_real_expiry(sandbox, settings):
    before = time.time()
    token = await refresh_access_token(settings)
    assert token.instance_url == sandbox.instance_url
    assert token.signature_verified
    assert token.user_id == sandbox.org["user"]["id"]
    assert token.organization_id == sandbox.org["organizationId"]
    # The sandbox issues one-hour tokens; introspection reports that exp, not the two-hour default.
    assert before + 3000 < token.expires_at < before + 3700
    assert sandbox.counters == {"tokenRequests": 1, "introspections": 1, "apiRequests": 0}


async def test_without_a_client_secret_the_configured_lifetime_applies(sandbox, make_settings):
    settings = make_settings(sandbox, client_secret=None, token_lifetime_seconds=600)
    before = time.time()
    token = await refresh_access_token(settings)
    assert not token.signature_verified
    assert before + 590 < token.expires_at < time.time() + 610
    assert sandbox.counters["introspections"] == 0


async def test_revoked_refresh_token_is_final_and_never_retried(sandbox, settings):
    sandbox.revoke_refresh_tokens()
    with pytest.raises(RefreshTokenRevoked) as caught:
        await refresh_access_token(settings)
    assert caught.value.error == "invalid_grant"
    assert "authorize the connected app again" in str(caught.value)
    assert sandbox.counters["tokenRequests"] == 1


async def test_a_new_refresh_token_recovers_after_revocation(sandbox, make_settings):
    sandbox.revoke_refresh_tokens()
    fresh = sandbox.mint_refresh_token()
    token = await refresh_access_token(make_settings(sandbox, refresh_token=fresh))
    assert token.instance_url == sandbox.instance_url


async def test_server_errors_are_retried_with_backoff(sandbox, settings):
    sandbox.patch_org({"knobs": {"tokenEndpointFailures": 2}})
    token = await refresh_access_token(settings)
    assert token.access_token
    assert sandbox.counters["tokenRequests"] == 3


async def test_server_errors_outlasting_the_retries_raise_unavailable(sandbox, settings):
    sandbox.patch_org({"knobs": {"tokenEndpointFailures": 10}})
    with pytest.raises(SalesforceUnavailable):
        await refresh_access_token(settings)
    assert sandbox.counters["tokenRequests"] == settings.retry.attempts


async def test_a_tampered_signature_is_rejected(sandbox, settings):
    sandbox.patch_org({"knobs": {"tamperSignature": True}})
    with pytest.raises(TokenSignatureInvalid):
        await refresh_access_token(settings)
    assert sandbox.counters["tokenRequests"] == 1


async def test_a_wrong_client_secret_is_a_client_error_not_a_revocation(sandbox, make_settings):
    with pytest.raises(OAuthError) as caught:
        await refresh_access_token(make_settings(sandbox, client_secret="not-the-secret"))
    assert not isinstance(caught.value, RefreshTokenRevoked)
    assert caught.value.error == "invalid_client"
    assert sandbox.counters["tokenRequests"] == 1


async def test_an_untrusted_certificate_fails_at_once(sandbox, make_settings):
    with pytest.raises(TlsVerificationFailed) as caught:
        await refresh_access_token(make_settings(sandbox, ca_bundle=None))
    assert "CA bundle" in str(caught.value)
    assert sandbox.counters["tokenRequests"] == 0


def test_signature_is_hmac_sha256_of_id_and_issued_at():
    # A fixed vector: base64(HMAC-SHA256(key="secret", msg="https://x/id/00D/005" + "1700000000000")).
    vector = "JzI/7yJRCJAFeoU3MJD0sQxls5Q2R2t2yc9wCp8FkY4="
    assert expected_signature("secret", "https://x/id/00D/005", "1700000000000") == vector
    assert expected_signature("other", "https://x/id/00D/005", "1700000000000") != vector


def test_settings_refuse_bad_input_naming_the_field():
    from qxo.salesforce import ConnectionSettings

    with pytest.raises(ValueError, match="login_url"):
        ConnectionSettings(client_id="c", refresh_token="r", login_url="http://login.example")
    with pytest.raises(ValueError, match="environment"):
        ConnectionSettings(client_id="c", refresh_token="r", environment="Dev")
    with pytest.raises(ValueError, match="refresh_token"):
        ConnectionSettings(client_id="c", refresh_token="")
    assert ConnectionSettings(client_id="c", refresh_token="r", environment="Sandbox").login_base == (
        "https://test.salesforce.com"
    )
    assert ConnectionSettings(client_id="c", refresh_token="r").login_base == "https://login.salesforce.com"
