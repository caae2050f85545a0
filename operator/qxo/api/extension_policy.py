"""ExtensionPolicy: what the namespaces a platform team selects may declare on its brands.

Cluster-scoped and declarative only: the operator never writes to it. It is the parameter object of
the `qxo-extension-policy` ValidatingAdmissionPolicy (manifests/policy/), the operator's backstop and
`qxo validate --policy`, which all evaluate the same rules (qxo.api.policy, docs/tenancy.md). Every
default is written into the CRD, so the admission policy's CEL always sees a value.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from qxo.api.common import ApiModel, Printer, Resource
from qxo.api.install import EXTENSION_ID
from qxo.api.selector import LabelSelector

# A DNS name of at least two labels, lowercase ASCII (punycode for IDNs), as install domains are written.
DOMAIN_SUFFIX = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?[.])+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$"

ExtensionId = Annotated[str, StringConstraints(min_length=2, max_length=63, pattern=EXTENSION_ID)]
DomainSuffix = Annotated[str, StringConstraints(min_length=4, max_length=253, pattern=DOMAIN_SUFFIX)]


class Acceptor(StrEnum):
    """Who may accept: Team (the selected namespace itself) or Platform (only a namespace no policy selects)."""

    TEAM = "Team"
    PLATFORM = "Platform"


class ExtensionRules(ApiModel):
    """Which extensions selected namespaces may install or hold accounts of."""

    ids: list[ExtensionId] | None = Field(default=None, max_length=200,
                                          json_schema_extra={"x-kubernetes-list-type": "set"})
    """Catalog ids allowed (e.g. brandwatch, webservice); any extension when omitted."""
    third_party: bool = True
    """Whether third-party extensions (not "By Qualtrics") may be used."""
    preview: bool = False
    """Whether extensions marked Preview (not certified by Qualtrics) may be used."""


class AcceptanceRules(ApiModel):
    """Who may accept a third party's terms and opt in to Preview when installing."""

    terms: Acceptor = Acceptor.PLATFORM
    """Team: an install in a selected namespace may set termsAccepted. Platform (default): only an install in a
    namespace no policy selects may."""
    preview_opt_in: Acceptor = Acceptor.PLATFORM
    """Team: an install in a selected namespace may set previewOptIn. Platform (default): only an install in a
    namespace no policy selects may."""


class DomainRules(ApiModel):
    """Where the extensions installed by selected namespaces may reach."""

    suffixes: list[DomainSuffix] | None = Field(default=None, max_length=50,
                                                json_schema_extra={"x-kubernetes-list-type": "set"})
    """Each domain of an install must have one of these hosts or a host below it (example.com allows
    https://example.com, https://api.example.com and https://*.example.com); any domain when omitted."""


class AccountRules(ApiModel):
    """How many accounts a selected namespace may hold."""

    max_per_namespace: Annotated[int, Field(ge=0, le=10000)] | None = None
    """ExtensionAccounts one namespace may declare; the oldest ones count first. No limit when omitted. Checked by
    the operator and qxo validate (admission sees one object at a time)."""


class AccessRules(ApiModel):
    """Which access selected namespaces may grant on their accounts."""

    all_users: bool = False
    """Whether an AccountGrant may give every user of the brand access (allUsers)."""
    owner: bool = True
    """Whether an AccountGrant may give users or groups Owner access."""


class ExtensionPolicySpec(ApiModel):
    """What the selected namespaces may declare; omitted rules restrict nothing beyond their defaults."""

    namespace_selector: LabelSelector
    """Namespaces this policy applies to; {} selects every namespace. Every policy selecting a namespace applies."""
    extensions: ExtensionRules = Field(default_factory=ExtensionRules, json_schema_extra={"default": {}})
    """Which extensions may be installed or hold accounts."""
    acceptance: AcceptanceRules = Field(default_factory=AcceptanceRules, json_schema_extra={"default": {}})
    """Who may accept third-party terms and opt in to Preview."""
    domains: DomainRules = Field(default_factory=DomainRules, json_schema_extra={"default": {}})
    """Which domains installs may reach."""
    accounts: AccountRules = Field(default_factory=AccountRules, json_schema_extra={"default": {}})
    """How many accounts a namespace may hold."""
    access: AccessRules = Field(default_factory=AccessRules, json_schema_extra={"default": {}})
    """Which access grants may give."""


class ExtensionPolicy(Resource):
    """What the namespaces a platform team selects may declare: which extensions, who accepts terms and Preview,
    which domains, how many accounts, and which access grants may give. Enforced at admission, by the operator
    and by qxo validate --policy."""

    KIND: ClassVar[str] = "ExtensionPolicy"
    PLURAL: ClassVar[str] = "extensionpolicies"
    SCOPE: ClassVar[str] = "Cluster"
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ("qxpolicy",)
    KEY_COLUMN: ClassVar[tuple[Printer, ...]] = ()

    kind: str = KIND
    spec: ExtensionPolicySpec
