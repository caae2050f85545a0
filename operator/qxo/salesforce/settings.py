"""What the client needs to reach one org: where to log in, the OAuth client, the CA bundle.

Plain dataclasses so the reconciler (from a SalesforceLink and its Secrets) and `qxo doctor`
(from flags and files) can fill them alike. Secret fields are left out of every repr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from qxo.trust.endpoints import DEFAULT, Allowlist, InvalidEndpoint, parse_url

LOGIN_URLS = {
    "Production": "https://login.salesforce.com",
    "Sandbox": "https://test.salesforce.com",
}

# Salesforce's default session timeout is two hours; an org may set it as low as 15 minutes,
# and a 401 then triggers one refresh, so a too-long guess costs one failed call, no more.
DEFAULT_TOKEN_LIFETIME_SECONDS = 2 * 60 * 60


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for 5xx, timeouts and REQUEST_LIMIT_EXCEEDED: base * 2**attempt, capped."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * (2**attempt))


@dataclass(frozen=True)
class ConnectionSettings:
    """One org and one OAuth client: everything needed to refresh a token and call the APIs."""

    client_id: str
    refresh_token: str = field(repr=False)
    client_secret: str | None = field(default=None, repr=False)
    environment: Literal["Production", "Sandbox"] = "Production"
    login_url: str | None = None
    ca_bundle: str | None = None
    api_version: str = "60.0"
    timeout_seconds: float = 15.0
    token_lifetime_seconds: float = DEFAULT_TOKEN_LIFETIME_SECONDS
    # Ask the introspection endpoint for the access token's real expiry (needs the client secret).
    introspect: bool = True
    retry: RetryPolicy = RetryPolicy()
    # Where the client may connect at all: the operator's administrator's allowlist (qxo.trust.endpoints).
    allowlist: Allowlist = field(default=DEFAULT, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.client_id:
            raise ValueError("client_id: must not be empty")
        if not self.refresh_token:
            raise ValueError("refresh_token: must not be empty")
        if self.environment not in LOGIN_URLS:
            raise ValueError(f"environment: must be Production or Sandbox, not {self.environment!r}")
        if self.login_url is not None:
            parts = urlsplit(self.login_url)
            if parts.scheme != "https" or not parts.hostname:
                raise ValueError(f"login_url: must be an https URL, not {self.login_url!r}")
            try:
                parse_url(self.login_url)
            except InvalidEndpoint as error:
                raise ValueError(f"login_url: {error}") from None

    @property
    def login_base(self) -> str:
        """The My Domain URL when given, else the environment's login host; no trailing slash."""
        return (self.login_url or LOGIN_URLS[self.environment]).rstrip("/")

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.refresh_token, self.client_secret) if s)
