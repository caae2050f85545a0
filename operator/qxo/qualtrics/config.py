"""How to reach and authenticate to one brand, validated before any request is made."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from qxo.trust.endpoints import DEFAULT, Allowlist, InvalidEndpoint, parse_url

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_DATACENTER = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


class BrandConfig(BaseModel):
    """One brand: where it lives, how to authenticate, how hard it may be called.

    Secrets are `SecretStr`, so neither `repr` nor logging a config ever shows them. `allowlist` is
    where the client may connect at all (the operator's administrator's, `qxo.trust.endpoints`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    base_url: str | None = Field(None, description="e.g. https://acme.iad1.qualtrics.com; or give datacenter")
    datacenter: str | None = Field(None, description="datacenter id, e.g. iad1 -> https://iad1.qualtrics.com")
    brand_id: str = Field(min_length=1)
    api_token: SecretStr | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: SecretStr | None = None
    oauth_scopes: tuple[str, ...] = ("manage:all",)
    requests_per_minute: int = Field(3000, ge=1, le=1_000_000)
    ca_bundle: str | None = None
    timeout_seconds: float = Field(30.0, gt=0)
    max_attempts: int = Field(6, ge=1, le=50)
    backoff_base_seconds: float = Field(0.5, ge=0)
    backoff_max_seconds: float = Field(30.0, ge=0)
    retry_budget_seconds: float = Field(120.0, gt=0, description="total time retries may take for one call")
    allowlist: Allowlist = Field(DEFAULT, repr=False, exclude=True)

    @model_validator(mode="after")
    def _check(self) -> BrandConfig:
        if (self.base_url is None) == (self.datacenter is None):
            raise ValueError("base_url: give exactly one of base_url or datacenter")
        if self.datacenter is not None and not _DATACENTER.match(self.datacenter):
            raise ValueError("datacenter: must be a datacenter id such as iad1")
        if self.base_url is not None:
            _check_base_url(self.base_url)
        has_token = self.api_token is not None
        has_oauth = self.oauth_client_id is not None or self.oauth_client_secret is not None
        if has_token == has_oauth:
            raise ValueError("api_token: give exactly one of api_token or oauth_client_id/oauth_client_secret")
        if has_oauth and not (self.oauth_client_id and self.oauth_client_secret):
            raise ValueError("oauth_client_secret: OAuth needs both oauth_client_id and oauth_client_secret")
        return self

    @property
    def root_url(self) -> str:
        """Scheme and host (no path): the API lives under /API/v3 and the token endpoint at /oauth2/token."""
        if self.base_url is not None:
            return self.base_url.rstrip("/")
        return f"https://{self.datacenter}.qualtrics.com"

    @property
    def limiter_key(self) -> tuple[str, str]:
        return (self.root_url, self.brand_id)


def _check_base_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("base_url: must be an absolute https URL")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError("base_url: must use https (http is accepted only for loopback hosts)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("base_url: give scheme and host only; the client adds /API/v3")
    try:
        parse_url(url)
    except InvalidEndpoint as error:
        raise ValueError(f"base_url: {error}") from None
