"""The OAuth 2.0 refresh_token grant against Salesforce's token endpoint (simple-salesforce does not refresh).

Retries 5xx, 429 and transport failures with backoff; `invalid_grant` is final
(`RefreshTokenRevoked`); the response signature is verified whenever a client secret is known.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from qxo.salesforce.errors import (
    OAuthError,
    RefreshTokenRevoked,
    SalesforceUnavailable,
    TlsVerificationFailed,
    TokenSignatureInvalid,
    redact,
)
from qxo.salesforce.errors import (
    tls_message as _tls_message,
)
from qxo.salesforce.http import build_session, check_endpoint
from qxo.salesforce.settings import ConnectionSettings
from qxo.trust.remote_text import remote_code, remote_text

log = logging.getLogger("qxo.salesforce.oauth")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class AccessToken:
    """A fresh access token and where to use it; the token itself never appears in a repr."""

    access_token: str = field(repr=False)
    instance_url: str
    identity_url: str
    issued_at: float
    expires_at: float
    signature_verified: bool

    @property
    def user_id(self) -> str:
        return self.identity_url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def organization_id(self) -> str:
        return self.identity_url.rstrip("/").rsplit("/", 2)[-2]


def expected_signature(client_secret: str, identity_url: str, issued_at: str) -> str:
    """Salesforce signs `id + issued_at` with HMAC-SHA256 keyed by the consumer secret, base64-encoded."""
    digest = hmac.new(client_secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


async def refresh_access_token(
    settings: ConnectionSettings,
    *,
    session: requests.Session | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Sleep = asyncio.sleep,
) -> AccessToken:
    """Exchange the refresh token for an access token; raise a typed error when that cannot work."""
    session = session or build_session(settings.ca_bundle, settings.timeout_seconds, settings.allowlist)
    form = {"grant_type": "refresh_token", "client_id": settings.client_id, "refresh_token": settings.refresh_token}
    if settings.client_secret:
        form["client_secret"] = settings.client_secret
    body = await _post_with_retries(session, settings, "/services/oauth2/token", form, sleep)
    token = _parse_token_response(body, settings)
    # The access token goes to instance_url next: it must be a host the operator may call, too.
    check_endpoint(settings.allowlist, str(token["instance_url"]), "the token response's instance_url")
    expires_at = await _expiry(session, settings, body, token, clock)
    log.info(
        "refreshed the Salesforce access token for %s (valid for %ds)",
        urlsplit(token["instance_url"]).hostname,
        max(0, int(expires_at - clock())),
    )
    return AccessToken(
        access_token=token["access_token"],
        instance_url=token["instance_url"].rstrip("/"),
        identity_url=token["id"],
        issued_at=int(token["issued_at"]) / 1000,
        expires_at=expires_at,
        signature_verified=bool(settings.client_secret),
    )


def _parse_token_response(body: dict, settings: ConnectionSettings) -> dict:
    missing = [key for key in ("access_token", "instance_url", "id", "issued_at") if not body.get(key)]
    if missing:
        raise OAuthError("invalid_response", f"token response lacks {', '.join(missing)}")
    if not str(body["issued_at"]).isdigit():
        raise OAuthError("invalid_response", "token response has a non-numeric issued_at")
    if settings.client_secret:
        signature = body.get("signature") or ""
        wanted = expected_signature(settings.client_secret, body["id"], str(body["issued_at"]))
        if not hmac.compare_digest(signature.encode(), wanted.encode()):
            raise TokenSignatureInvalid()
    return body


async def _expiry(session, settings: ConnectionSettings, body: dict, token: dict, clock) -> float:
    # Salesforce's token response carries no expires_in; introspection reports the real `exp`.
    if isinstance(body.get("expires_in"), int | float):
        return clock() + float(body["expires_in"])
    if settings.introspect and settings.client_secret:
        form = {
            "token": token["access_token"],
            "token_type_hint": "access_token",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
        }
        try:
            info = await _post_once(session, settings, "/services/oauth2/introspect", form)
        except (OAuthError, SalesforceUnavailable) as error:
            log.debug("token introspection failed (%s); using the configured lifetime", error)
        else:
            if info.get("active") and isinstance(info.get("exp"), int | float):
                return float(info["exp"])
    return clock() + settings.token_lifetime_seconds


async def _post_with_retries(session, settings: ConnectionSettings, path: str, form: dict, sleep: Sleep) -> dict:
    last: Exception | None = None
    for attempt in range(settings.retry.attempts):
        if attempt:
            delay = settings.retry.delay(attempt - 1)
            log.warning("Salesforce token endpoint failed (%s); retrying in %.1fs", last, delay)
            await sleep(delay)
        try:
            return await _post_once(session, settings, path, form)
        except SalesforceUnavailable as error:
            last = error
    raise SalesforceUnavailable(
        f"Salesforce token endpoint {settings.login_base} still failing after "
        f"{settings.retry.attempts} attempts: {last}"
    )


async def _post_once(session, settings: ConnectionSettings, path: str, form: dict) -> dict:
    url = settings.login_base + path
    try:
        response = await asyncio.to_thread(session.post, url, data=form, headers={"Accept": "application/json"})
    except requests.exceptions.SSLError as error:
        raise TlsVerificationFailed(_tls_message(error)) from None
    except requests.RequestException as error:
        # Transport errors name the URL and reason, never the form body; redact anyway.
        raise SalesforceUnavailable(redact(f"{type(error).__name__}: {error}", settings.secrets)) from None
    if response.status_code >= 500 or response.status_code == 429:
        raise SalesforceUnavailable(f"HTTP {response.status_code} from {url}")
    try:
        body = response.json()
    except ValueError:
        raise OAuthError("invalid_response", f"HTTP {response.status_code}, not JSON", response.status_code) from None
    if response.status_code >= 400 or not isinstance(body, dict):
        # Both go into status: the code only as a code, the description as one bounded printable line.
        error = remote_code(body.get("error"), "unknown_error") if isinstance(body, dict) else "unknown_error"
        description = remote_text(redact(str(body.get("error_description") or ""), settings.secrets)) \
            if isinstance(body, dict) else ""
        if error == "invalid_grant":
            raise RefreshTokenRevoked(description, response.status_code)
        raise OAuthError(error, description, response.status_code)
    return body
