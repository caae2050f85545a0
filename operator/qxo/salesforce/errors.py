"""Typed failures of the Salesforce client, each one a decision for the caller.

Messages never carry an access token, refresh token or client secret: they are built
from Salesforce's error codes and from text that has passed through `redact`.
"""

from __future__ import annotations

from collections.abc import Iterable


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every known secret value in `text`, so a server echoing one cannot leak it."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


class SalesforceError(Exception):
    """Anything the Salesforce client could not do."""

    retryable = False


class OAuthError(SalesforceError):
    """The token endpoint refused a request (a 4xx other than a revoked grant)."""

    def __init__(self, error: str, description: str = "", status: int | None = None):
        self.error = error
        self.description = description
        self.status = status
        detail = f": {description}" if description else ""
        super().__init__(f"Salesforce token endpoint refused the request ({error}{detail})")


class RefreshTokenRevoked(OAuthError):
    """`invalid_grant`: the refresh token is revoked or expired; retrying cannot help.

    Recovery needs a new refresh token (re-authorize the connected app as the integration user).
    """

    def __init__(self, description: str = "", status: int | None = 400):
        super().__init__("invalid_grant", description, status)
        self.args = (
            f"{self.args[0]}: the refresh token is revoked or expired; authorize the connected app again as the "
            "integration user and store the new refresh token",
        )


class TokenSignatureInvalid(SalesforceError):
    """The token response's signature does not match HMAC-SHA256(id + issued_at) under the client secret."""

    def __init__(self) -> None:
        super().__init__(
            "the token response's signature does not verify with the configured client secret: "
            "the response did not come from this connected app, or the client secret is wrong"
        )


class SalesforceUnavailable(SalesforceError):
    """5xx, timeouts or refused connections that outlasted the retries."""

    retryable = True


class TlsVerificationFailed(SalesforceError):
    """The server's certificate did not verify against the configured CA bundle; retrying cannot help."""


class EndpointRefused(SalesforceError):
    """The client would not call, or stopped at, an endpoint; a configuration problem retrying cannot fix.

    `reason` is the condition reason the operator reports; the message names the endpoint.
    """

    reason = "EndpointRefused"


class EndpointNotAllowed(EndpointRefused):
    """Not on the operator's endpoint allowlist, a link-local or metadata address, or not a usable URL."""

    reason = "EndpointNotAllowed"


class Redirected(EndpointRefused):
    """Salesforce (or what answered) sent a 3xx: qxo never follows one, it would carry the credentials elsewhere."""

    reason = "EndpointRedirected"


class RequestLimitExceeded(SalesforceError):
    """REQUEST_LIMIT_EXCEEDED: the org's API request limit is spent; try again later."""

    retryable = True


class SalesforceApiError(SalesforceError):
    """A Salesforce-shaped `[{"message", "errorCode"}]` error from a REST or SOAP call."""

    def __init__(self, error_code: str, message: str, status: int | None = None):
        self.error_code = error_code
        self.status = status
        self.detail = message
        super().__init__(f"{error_code}: {message}" if message else error_code)


class SessionExpired(SalesforceApiError):
    """INVALID_SESSION_ID: the access token expired or was revoked; refresh and retry once."""

    def __init__(self, message: str = "Session expired or invalid", status: int | None = 401):
        super().__init__("INVALID_SESSION_ID", message, status)


def tls_message(error: Exception) -> str:
    return (
        f"TLS verification failed ({type(error).__name__}): the server's certificate is not trusted; "
        "set the CA bundle to the CA that issued it (for the sandbox, the file written by --ca-out)"
    )
