"""SalesforceLink: a Salesforce org linked for one Qualtrics user (the project owner), with preflight checks."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from qxo.api.common import (
    DISPLAY_TEXT,
    ApiModel,
    CABundleRef,
    LocalObjectReference,
    LoginURL,
    OAuthClientSecretRef,
    ObservedModel,
    Printer,
    Resource,
    SecretKeyRef,
    SpecBase,
    StatusBase,
    Username,
    cel,
    duration,
)

# Salesforce API names: a letter, then letters, digits and underscores (custom ones end in __c).
API_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,79}$"
IPV4_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
IPV4_CIDR = rf"^({IPV4_OCTET}\.){{3}}{IPV4_OCTET}/(3[0-2]|[12]?[0-9])$"
LOGIN_URLS = {"Production": "https://login.salesforce.com", "Sandbox": "https://test.salesforce.com"}
QUALTRICS_IP_RANGES = ("162.247.216.0/22", "139.60.152.0/22")

RefreshInterval = duration("1m")
ApiName = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=API_NAME)]
ConnectedAppName = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=DISPLAY_TEXT)]
DEFAULT_CONNECTED_APP = "Qualtrics Surveys"


def network_address(value: str) -> str:
    """The operator's copy of the CEL rules below: a CIDR names a network (no host bits) and not every address."""
    network = ipaddress.ip_network(value, strict=False)
    if str(network) != value:
        raise ValueError(f"must be a network address: {value} has host bits set (use {network})")
    if network.prefixlen == 0:
        raise ValueError(f"{value} is every IPv4 address: name the ranges the profile allows")
    return value


# A network (not a host inside one) with a prefix: 10.0.0.1/24 means 10.0.0.0/24 and says so;
# /0 would make "the profile allows Qualtrics' ranges" true of any profile.
Ipv4Cidr = Annotated[
    str,
    StringConstraints(max_length=18, pattern=IPV4_CIDR),
    AfterValidator(network_address),
    Field(json_schema_extra={"x-kubernetes-validations": [
        # A static message: the API server's cost estimator refuses a messageExpression that
        # formats the masked CIDR (string() of a cidr has no bounded cost); the operator's model
        # and `qxo validate` name the network to use.
        {"rule": "!isCIDR(self) || cidr(self) == cidr(self).masked()",
         "message": "must be a network address: the address has host bits set (10.0.0.1/24 means 10.0.0.0/24)"},
        {"rule": "!isCIDR(self) || cidr(self).prefixLength() > 0",
         "message": "/0 is every IPv4 address: name the ranges the profile allows"},
    ]}),
]


class Environment(StrEnum):
    """Production logs in at https://login.salesforce.com, Sandbox at https://test.salesforce.com."""

    PRODUCTION = "Production"
    SANDBOX = "Sandbox"


class ObjectAccess(StrEnum):
    """An object permission the linked user's profile must have."""

    VIEW_ALL = "ViewAll"
    MODIFY_ALL = "ModifyAll"
    CREATE = "Create"
    READ = "Read"
    EDIT = "Edit"
    DELETE = "Delete"


class FieldAccess(StrEnum):
    """Read to pull a field into Qualtrics; Edit to update or insert it."""

    READ = "Read"
    EDIT = "Edit"


class SalesforceOAuth(ApiModel):
    """The connected app's client and the user's refresh token, both from Secrets."""

    model_config = ConfigDict(json_schema_extra=cel(
        ("has(self.clientSecretRef)",
         "a SalesforceLink needs the OAuth client Secret (clientSecretRef)", ".clientSecretRef"),
        ("has(self.refreshTokenSecretRef)",
         "a SalesforceLink needs the refresh token Secret (refreshTokenSecretRef)", ".refreshTokenSecretRef"),
    ))

    client_secret_ref: OAuthClientSecretRef
    """The connected app's consumer key and secret."""
    refresh_token_secret_ref: SecretKeyRef.defaulting("refresh_token", "the refresh token")
    """The linked user's refresh token (the connected app must keep refresh tokens valid until revoked)."""


class ObjectRequirement(ApiModel):
    """Access the linked user needs on one object."""

    name: ApiName
    """API name of the object, e.g. Contact or Survey_Response__c."""
    access: list[ObjectAccess] = Field(min_length=1, max_length=6,
                                       json_schema_extra={"x-kubernetes-list-type": "set"})
    """Permissions needed: ViewAll (related objects), ModifyAll (updated), Create (inserted), Read, Edit, Delete."""


class FieldRequirement(ApiModel):
    """Access the linked user needs on one field."""

    object: ApiName
    """API name of the object."""
    field: ApiName
    """API name of the field."""
    access: FieldAccess = FieldAccess.READ
    """Read (default) to pull it into Qualtrics, Edit to update or insert it."""


class RecordTypeRequirement(ApiModel):
    """A record type the linked user must have available."""

    object: ApiName
    """API name of the object."""
    developer_name: ApiName
    """DeveloperName of the record type."""


class Requirements(ApiModel):
    """What the linked user's profile must allow; the preflight checks each and reports it in status.checks."""

    objects: list[ObjectRequirement] = Field(
        default_factory=list, max_length=100,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]})
    """Objects and the permissions the linked user needs on each; one entry per object."""
    fields: list[FieldRequirement] = Field(
        default_factory=list, max_length=500,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["object", "field"]})
    """Fields and the access the linked user needs on each; one entry per object and field."""
    record_types: list[RecordTypeRequirement] = Field(
        default_factory=list, max_length=100,
        json_schema_extra={"x-kubernetes-list-type": "map",
                           "x-kubernetes-list-map-keys": ["object", "developerName"]})
    """Record types the linked user must be able to use; one entry per object and developer name."""


class Preflight(ApiModel):
    """How the preflight's results gate the link."""

    require_verified: bool = False
    """Keep the link not Ready while any check is Unknown (the integration user may not read what would verify it,
    e.g. without View Setup and Configuration). By default such checks are reported in the PreflightPassed
    condition and the link still becomes Ready: the linked user need not be a System Administrator."""


class SalesforceLinkSpec(SpecBase):
    """Desired link between a Qualtrics user's account and a Salesforce org."""

    brand_ref: LocalObjectReference
    """The QualtricsBrand the owner belongs to."""
    owner: Username
    """Username of the Qualtrics user whose account holds the credentials (the project owner)."""
    environment: Environment
    """Production (https://login.salesforce.com) or Sandbox (https://test.salesforce.com)."""
    login_url: LoginURL | None = Field(default=None, alias="loginURL")
    """My Domain login URL instead of the environment's: https://host[:port], nothing after it."""
    oauth: SalesforceOAuth
    """OAuth client and refresh token Secrets; both are required."""
    requirements: Requirements = Field(default_factory=Requirements, json_schema_extra={"default": {}})
    """Profile permissions the preflight checks."""
    connected_app: ConnectedAppName = DEFAULT_CONNECTED_APP
    """Name of the connected app (Setup > Apps > Manage Connected Apps) whose OAuth policies the preflight checks:
    refresh tokens valid until revoked, all users may self-authorize. Qualtrics' page calls it Qualtrics Surveys."""
    preflight: Preflight = Field(default_factory=Preflight, json_schema_extra={"default": {}})
    """Whether checks the integration user cannot verify keep the link from being Ready."""
    additional_login_ip_ranges: list[Ipv4Cidr] = Field(
        default_factory=list, max_length=20, alias="additionalLoginIPRanges",
        json_schema_extra={"x-kubernetes-list-type": "set"})
    """Regional Qualtrics IPv4 ranges (CIDR) the profile's login IP ranges must include besides
    162.247.216.0/22 and 139.60.152.0/22."""
    refresh_interval: RefreshInterval = "1h"
    """How often the access token is refreshed and the preflight rerun (e.g. 1h; at least 1m)."""
    ca_bundle_ref: CABundleRef | None = None
    """Extra CA certificates to trust for Salesforce (a proxy or a test org)."""

    @property
    def effective_login_url(self) -> str:
        """loginURL when set, else the environment's login host."""
        return self.login_url or LOGIN_URLS[self.environment]


class CheckResult(StrEnum):
    """Outcome of one preflight check."""

    PASSED = "Passed"
    FAILED = "Failed"
    UNKNOWN = "Unknown"


class PreflightCheck(ObservedModel):
    """One preflight check of the linked user and org."""

    name: str
    """Name of the check, e.g. Environment, ApiEnabled, LoginIpRanges, FieldAccess, SessionIpLocking."""
    result: CheckResult
    """Passed, Failed or Unknown."""
    message: str = ""
    """What was found."""


class SalesforceLinkStatus(StatusBase):
    """Observed state of the link, written by the operator."""

    external_id: str | None = None
    """Id of the Salesforce connection in the brand."""
    org_id: str | None = None
    """Salesforce organization id."""
    instance_url: str | None = Field(default=None, alias="instanceURL")
    """Instance URL the org's API answers on."""
    applied_credentials: str | None = None
    """resourceVersions of the OAuth client and refresh token Secrets whose values the brand's connection
    holds ("<client>/<refresh token>"): never a value or a hash of one."""
    token_secret_name: str | None = None
    """Secret (owned by this link) where the current access token is kept."""
    owner_id: str | None = None
    """Brand user id of spec.owner."""
    owner_seal: str | None = None
    """HMAC of spec.owner and its user id, keyed by the brand's credentials: while it matches, a converge (one
    after a restart too) does not look the owner up among the brand's users again."""
    token_expires_at: datetime | None = None
    """When the current access token expires."""
    checks: list[PreflightCheck] = Field(
        default_factory=list, max_length=200,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]})
    """Results of the last preflight."""
    last_preflight_time: datetime | None = None
    """When the preflight last ran."""


class SalesforceLink(Resource):
    """A Salesforce org linked for one Qualtrics user (the project owner), checked against what workflows need."""

    KIND: ClassVar[str] = "SalesforceLink"
    PLURAL: ClassVar[str] = "salesforcelinks"
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ("sflink",)
    KEY_COLUMN: ClassVar[tuple[Printer, ...]] = (
        Printer(name="Owner", json_path=".spec.owner", description="The Qualtrics user holding the link"),
        Printer(name="Env", json_path=".spec.environment", description="Production or Sandbox"),
    )

    kind: str = KIND
    spec: SalesforceLinkSpec
    status: SalesforceLinkStatus = Field(default_factory=SalesforceLinkStatus)
