"""ExtensionInstall: one extension of the catalog installed in a brand, with its domains and enablement."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, StringConstraints

from qxo.api.cluster_brand import BrandReference
from qxo.api.common import (
    BAD_PORT,
    PORT,
    ApiModel,
    GroupName,
    ObservedModel,
    Printer,
    Resource,
    SpecBase,
    StatusBase,
    Username,
    cel,
)

EXTENSION_ID = r"^[a-z0-9][a-z0-9-]{1,62}$"
# https only; lowercase ASCII (punycode for IDNs), so Unicode look-alike hosts cannot match;
# `*` only as the whole leftmost label or as the whole port; no path, query, userinfo or
# trailing slash, so one domain has one spelling and the list can be a set.
DOMAIN = (
    r"^https://(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})"
    rf"(:({PORT}|\*))?$"
)


# The pattern is the authority; the CEL rules say in words which part of a domain is wrong.
# A wildcard over a public suffix passes admission (the list is not CEL's to read): `qxo validate`
# and the operator refuse it where a domain list is written (qxo.api.semantic.install_catalog_findings).
Domain = Annotated[
    str,
    StringConstraints(min_length=12, max_length=260, pattern=DOMAIN),
    Field(json_schema_extra=cel(
        ("self.startsWith('https://')", "must start with https:// (other schemes are refused)"),
        ("!self.matches('[^ -~]')", "must be ASCII: write internationalized hosts in punycode (xn--); "
                                    "look-alike characters are refused"),
        ("!self.contains(' ')", "must not contain spaces"),
        ("!self.matches('^[a-z]+://[^/]*[/?#@]')", "must be only https://host[:port]: no path, query, fragment, "
                                                   "userinfo or trailing slash"),
        ("!self.matches('[A-Z]')", "must be lowercase"),
        (f"!self.matches(':{BAD_PORT}$')", "port must be from 1 to 65535, or *"),
        ("self.matches('^[^*]*://([*][.])?[^*]*(:[*])?$')",
         "* is allowed only as the whole leftmost label (https://*.example.com) or the whole port (:*)"),
    )),
]


class Enablement(ApiModel):
    """Which users of the brand may use the extension."""

    model_config = ConfigDict(json_schema_extra=cel(
        ("!(has(self.allUsers) && self.allUsers) || ((!has(self.users) || size(self.users) == 0)"
         " && (!has(self.groups) || size(self.groups) == 0))",
         "allUsers enables everyone: leave users and groups empty"),
    ))

    all_users: bool = False
    """Enable the extension for every user of the brand."""
    users: list[Username] = Field(default_factory=list, max_length=1000,
                                  json_schema_extra={"x-kubernetes-list-type": "set"})
    """Usernames (often emails) to enable the extension for."""
    groups: list[GroupName] = Field(default_factory=list, max_length=200,
                                    json_schema_extra={"x-kubernetes-list-type": "set"})
    """Group names to enable the extension for."""


class ExtensionInstallSpec(SpecBase):
    """Desired installation of one catalog extension in a brand."""

    brand_ref: BrandReference
    """The brand to install into: a QualtricsBrand in this namespace, or a ClusterQualtricsBrand (one ExtensionInstall
    in the cluster owns each extension of a ClusterQualtricsBrand; docs/tenancy.md)."""
    extension_id: Annotated[str, StringConstraints(min_length=2, max_length=63, pattern=EXTENSION_ID)]
    """Catalog id of the extension (e.g. webservice, brandwatch)."""
    terms_accepted: bool = False
    """Accept the extension's privacy policy and terms of use; required for third-party extensions."""
    preview_opt_in: bool = False
    """Install an extension marked Preview (not certified by Qualtrics); required for Preview extensions."""
    domains: list[Domain] | None = Field(default=None, max_length=100,
                                         json_schema_extra={"x-kubernetes-list-type": "set"})
    """Domains the extension may reach, e.g. https://api.example.com, https://*.example.com, https://h.example.com:*.
    Omitted: leave the extension's domains as they are. Empty: the extension reaches no domain.
    Only for extensions that allow domain edits."""
    enablement: Enablement | None = None
    """Users and groups the extension is enabled for; omitted: leave enablement as it is."""


class EnablementSummary(ObservedModel):
    """Who the extension is enabled for, as counts."""

    all_users: bool | None = None
    """Enabled for every user."""
    users: int | None = None
    """Users it is enabled for."""
    groups: int | None = None
    """Groups it is enabled for."""


class ExtensionInstallStatus(StatusBase):
    """Observed state of the installation, written by the operator."""

    external_id: str | None = None
    """Id of the installation in the brand."""
    installed: bool | None = None
    """Whether the extension is installed."""
    first_party: bool | None = None
    """Whether the extension is by Qualtrics (first party)."""
    preview: bool | None = None
    """Whether the extension is marked Preview."""
    publisher: str | None = None
    """Who publishes the extension."""
    terms_accepted_by: str | None = None
    """Username that accepted the terms of use."""
    terms_accepted_at: datetime | None = None
    """When the terms of use were accepted."""
    domains: list[str] | None = Field(default=None, max_length=200)
    """Domains the extension can reach now; empty means none."""
    enablement: EnablementSummary | None = None
    """Who the extension is enabled for now."""
    enablement_seal: str | None = None
    """HMAC of who this install left the extension enabled for and its generation, keyed by the brand's
    credentials: while the enablement still matches it, a converge (one after a restart too) resolves no user
    or group again."""


class ExtensionInstall(Resource):
    """One extension of the brand's catalog installed, with its allowed domains and who it is enabled for."""

    KIND: ClassVar[str] = "ExtensionInstall"
    PLURAL: ClassVar[str] = "extensioninstalls"
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ("qxinstall",)
    KEY_COLUMN: ClassVar[tuple[Printer, ...]] = (
        Printer(name="Extension", json_path=".spec.extensionId", description="Catalog id of the extension"),
    )

    kind: str = KIND
    spec: ExtensionInstallSpec
    status: ExtensionInstallStatus = Field(default_factory=ExtensionInstallStatus)
