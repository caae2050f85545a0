"""Typed brand errors the reconcilers map, built from the v3 error envelope.

Every error carries the HTTP status, the v3 `errorCode` and the `requestId` so a failure can
be traced in the brand's logs. Messages come from the brand's `errorMessage`, which never
contains a token or credential value; the client never adds request headers or bodies. What the
brand wrote is kept as one bounded printable line (`qxo.trust.remote_text`): it ends up in status.
"""

from __future__ import annotations

from typing import Any

from qxo.trust.remote_text import remote_code, remote_text


class BrandError(Exception):
    """Base of every failure the brand client raises."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        field: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.request_id = request_id
        self.field = field
        self.retry_after = retry_after

    def __str__(self) -> str:
        parts = [self.message]
        if self.error_code:
            parts.append(f"errorCode={self.error_code}")
        if self.field:
            parts.append(f"field={self.field}")
        if self.status:
            parts.append(f"status={self.status}")
        if self.request_id:
            parts.append(f"requestId={self.request_id}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self!s})"


class Invalid(BrandError):
    """400: the request was refused; `field` names the offending field when the brand said so."""


class AuthenticationFailed(BrandError):
    """401: the token or OAuth client was refused (after one token refresh)."""


class Forbidden(BrandError):
    """403: e.g. not a brand admin, or not an owner or the creator of the account."""


class NotFound(BrandError):
    """404: the brand, extension, account, user or connection does not exist."""


class Conflict(BrandError):
    """409: e.g. a duplicate account name, an extension not installed, the 5-connection limit."""


class RateLimited(BrandError):
    """429 still returned after the retry budget was spent."""

    retryable = True


class Unavailable(BrandError):
    """5xx, timeouts or dropped connections still failing after the retry budget was spent."""

    retryable = True


class TLSVerificationFailed(Unavailable):
    """The brand's certificate did not verify against the system CAs or `ca_bundle`: retrying cannot help."""

    retryable = False


class EndpointRefused(BrandError):
    """The client would not call, or stopped at, an endpoint: a configuration problem retrying cannot fix.

    `reason` is the condition reason the operator reports (the message names the endpoint).
    """

    reason = "EndpointRefused"


class EndpointNotAllowed(EndpointRefused):
    """The URL is not on the operator's endpoint allowlist, resolves to a metadata address, or cannot be used."""

    reason = "EndpointNotAllowed"


class Redirected(EndpointRefused):
    """The brand answered with a 3xx: qxo never follows one (it would carry the token elsewhere)."""

    reason = "EndpointRedirected"


_BY_STATUS: dict[int, type[BrandError]] = {
    400: Invalid,
    401: AuthenticationFailed,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Invalid,
    429: RateLimited,
}


def from_envelope(status: int, body: Any, request_id: str | None = None) -> BrandError:
    """The typed error for a non-2xx response whose body is (ideally) a v3 envelope."""
    meta = body.get("meta", {}) if isinstance(body, dict) else {}
    error = meta.get("error", {}) if isinstance(meta, dict) else {}
    error = error if isinstance(error, dict) else {}
    message = remote_text(error.get("errorMessage")) or f"brand answered HTTP {status}"
    cls = _BY_STATUS.get(status, Unavailable if status >= 500 else BrandError)
    field = remote_text(error.get("field"), 100)
    return cls(
        message,
        status=status,
        error_code=remote_code(error.get("errorCode"), "") or None,
        request_id=remote_code(meta.get("requestId") or request_id, "") or None,
        field=field or None,
    )
