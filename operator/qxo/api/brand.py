"""QualtricsBrand: the connection to one Qualtrics brand that every other qxo kind references."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, StringConstraints

from qxo.api.common import (
    ApiModel,
    CABundleRef,
    OAuthClientSecretRef,
    ObservedModel,
    Printer,
    Resource,
    SecretKeyRef,
    ServiceURL,
    SpecBase,
    StatusBase,
    cel,
    duration,
)

DATACENTER = r"^[a-z]{2,4}[0-9]{1,2}$"
BRAND_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"
SCOPE = r"^[a-z][a-z_.]*(:[a-z_.]+)*$"
ResyncInterval = duration("30s")


class CredentialsType(StrEnum):
    """How qxo authenticates to the brand."""

    API_TOKEN = "APIToken"
    OAUTH_CLIENT = "OAuthClient"


class BrandCredentials(ApiModel):
    """Where the brand administrator credentials live; values stay in the Secret."""

    model_config = ConfigDict(json_schema_extra=cel(
        ("self.type != 'APIToken' || has(self.apiTokenSecretRef)",
         "apiTokenSecretRef is required when type is APIToken", ".apiTokenSecretRef"),
        ("self.type != 'OAuthClient' || has(self.oauthClientSecretRef)",
         "oauthClientSecretRef is required when type is OAuthClient", ".oauthClientSecretRef"),
        ("!(has(self.apiTokenSecretRef) && has(self.oauthClientSecretRef))",
         "set only the Secret ref matching type, not both"),
        ("self.type == 'OAuthClient' || !has(self.scopes)",
         "scopes apply only to type OAuthClient", ".scopes"),
    ))

    type: CredentialsType
    """APIToken (an administrator's API token) or OAuthClient (client-credentials grant)."""
    api_token_secret_ref: SecretKeyRef.defaulting("token", "the API token") | None = None
    """The API token Secret; required when type is APIToken."""
    oauth_client_secret_ref: OAuthClientSecretRef | None = None
    """The OAuth client id and secret; required when type is OAuthClient."""
    scopes: list[Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=SCOPE)]] | None = Field(
        default=None, max_length=32, json_schema_extra={"x-kubernetes-list-type": "set"})
    """OAuth scopes to request (e.g. manage:users); the client's default scopes when omitted."""


class RateLimit(ApiModel):
    """qxo's own budget of brand API calls, within the brand-wide limit Qualtrics enforces."""

    requests_per_minute: Annotated[int, Field(ge=1, le=60000)] = 3000
    """Calls per minute qxo may make to this brand (1..60000). Qualtrics allows a brand 3000 in all unless
    its support raised the limit: lower it to leave room for other clients, raise it only to a raised limit."""


class QualtricsBrandSpec(SpecBase):
    """Desired connection to one Qualtrics brand."""

    model_config = ConfigDict(json_schema_extra=cel(
        ("has(self.datacenter) != has(self.baseURL)", "set exactly one of datacenter or baseURL"),
    ))

    datacenter: Annotated[str, StringConstraints(max_length=8, pattern=DATACENTER)] | None = None
    """Datacenter id of the brand (e.g. iad1, fra1, ca1, sjc1, syd1, gov1): https://<datacenter>.qualtrics.com."""
    base_url: ServiceURL | None = Field(default=None, alias="baseURL")
    """Base URL of the brand API instead of a datacenter: scheme://host[:port], nothing after it (the client adds
    /API/v3); https (http only for 127.0.0.1, localhost, [::1])."""
    brand_id: Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=BRAND_ID)]
    """The brand (organization) id, as shown in the brand's URL and account settings."""
    credentials: BrandCredentials
    """Brand administrator credentials, referenced from a Secret."""
    rate_limit: RateLimit = Field(default_factory=RateLimit, json_schema_extra={"default": {}})
    """Client-side rate limit for calls to the brand."""
    resync_interval: ResyncInterval = "10m"
    """How often the brand is observed for drift (e.g. 10m, 1h30m; at least 30s)."""
    ca_bundle_ref: CABundleRef | None = None
    """Extra CA certificates to trust for the brand API (a proxy or private endpoint)."""


class BrandIdentity(ObservedModel):
    """Who qxo is in the brand, from GET /whoami."""

    user_id: str | None = None
    """Id of the user the credentials belong to (UR_...)."""
    user_name: str | None = None
    """Username of that user."""
    brand_id: str | None = None
    """Brand id the credentials belong to."""
    account_type: str | None = None
    """Account type of that user (a brand administrator is expected)."""
    datacenter: str | None = None
    """Datacenter the brand lives in."""
    seal: str | None = None
    """HMAC of this identity and the spec and Secret version it was read with, keyed by the credentials: a
    restarted operator trusts the identity instead of asking whoami again only when it matches."""


class ObservationCounts(ObservedModel):
    """Size of the last observation of the brand."""

    users: int | None = None
    """Users in the brand."""
    groups: int | None = None
    """Groups in the brand."""
    installed_extensions: int | None = None
    """Extensions installed in the brand."""
    accounts: int | None = None
    """Extension accounts in the brand."""


class QualtricsBrandStatus(StatusBase):
    """Observed state of the brand connection, written by the operator."""

    identity: BrandIdentity | None = None
    """Who qxo authenticated as."""
    last_observed_time: datetime | None = None
    """When the brand was last observed completely."""
    observed: ObservationCounts | None = None
    """Counts from the last observation."""


class QualtricsBrand(Resource):
    """Connection to one Qualtrics brand: where it is, which credentials to use, how often to look for drift."""

    KIND: ClassVar[str] = "QualtricsBrand"
    PLURAL: ClassVar[str] = "qualtricsbrands"
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ("qbrand",)
    KEY_COLUMN: ClassVar[tuple[Printer, ...]] = (
        Printer(name="Brand", json_path=".spec.brandId", description="The brand id"),
        Printer(name="Datacenter", json_path=".spec.datacenter", description="The datacenter, if set"),
    )

    kind: str = KIND
    spec: QualtricsBrandSpec
    status: QualtricsBrandStatus = Field(default_factory=QualtricsBrandStatus)
