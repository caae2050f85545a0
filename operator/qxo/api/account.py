"""ExtensionAccount: one account (credentials from a Secret) of an installed extension."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, StringConstraints

from qxo.api.cluster_brand import BrandReference
from qxo.api.common import (
    DISPLAY_TEXT,
    ApiModel,
    DnsName,
    LocalObjectReference,
    ObservedModel,
    Printer,
    Resource,
    SecretKey,
    SpecBase,
    StatusBase,
    cel,
)
from qxo.api.install import EXTENSION_ID


class AccountSecretRef(ApiModel):
    """A Secret in the same namespace whose keys are the account's credential fields."""

    name: DnsName
    """Name of the Secret, in this object's namespace."""


class AccountCredentials(ApiModel):
    """The account's credentials; a change of the Secret rotates them in the brand."""

    secret_ref: AccountSecretRef
    """The Secret holding the credential fields, one per key (e.g. username, password, apiKey)."""
    keys: list[SecretKey] | None = Field(default=None, min_length=1, max_length=32,
                                         json_schema_extra={"x-kubernetes-list-type": "set"})
    """Keys of the Secret to send as credential fields; every key of the Secret when omitted."""


class ExtensionAccountSpec(SpecBase):
    """Desired account of an installed extension."""

    model_config = ConfigDict(json_schema_extra=cel(
        ("has(self.installRef) != has(self.brandRef)",
         "set installRef (an ExtensionInstall in this namespace) or brandRef with extensionId (an extension installed "
         "on a ClusterQualtricsBrand), exactly one of them", ".installRef"),
        ("has(self.brandRef) == has(self.extensionId)", "brandRef and extensionId go together", ".extensionId"),
        ("!has(self.brandRef) || self.brandRef.kind == 'ClusterQualtricsBrand'",
         "brandRef names a ClusterQualtricsBrand; for a QualtricsBrand use installRef", ".brandRef.kind"),
    ))

    install_ref: LocalObjectReference | None = None
    """The ExtensionInstall this account belongs to, in this namespace."""
    brand_ref: BrandReference | None = None
    """Instead of installRef: the ClusterQualtricsBrand whose installed extension spec.extensionId this account belongs
    to. The install is the platform's; this object never changes it."""
    extension_id: Annotated[str, StringConstraints(min_length=2, max_length=63, pattern=EXTENSION_ID)] | None = None
    """With brandRef: catalog id of the extension installed on the ClusterQualtricsBrand."""
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=DISPLAY_TEXT)]
    """Name of the account as users see it in workflows; the natural key for adoption."""
    credentials: AccountCredentials
    """Where the credentials live."""


class AppliedSecret(ObservedModel):
    """Which version of the credentials Secret the brand has; never a value or a hash of one."""

    name: str | None = None
    """Name of the Secret."""
    resource_version: str | None = None
    """resourceVersion of the Secret last sent to the brand."""
    credentials_updated_at: datetime | None = None
    """The brand's credentialsUpdatedAt right after that send: a later value in the brand means the credentials
    were changed outside qxo (in the UI), and the operator sends this Secret's values again."""


class ExtensionAccountStatus(StatusBase):
    """Observed state of the account, written by the operator."""

    external_id: str | None = None
    """Id of the account in the brand."""
    applied_secret: AppliedSecret | None = None
    """The Secret version last applied."""
    creator: str | None = None
    """Username that created the account (the creator may always manage its access)."""
    last_rotation_time: datetime | None = None
    """When credentials were last sent to the brand."""


class ExtensionAccount(Resource):
    """An account of an installed extension, with credentials kept in a Secret and rotated when it changes."""

    KIND: ClassVar[str] = "ExtensionAccount"
    PLURAL: ClassVar[str] = "extensionaccounts"
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ("qxaccount",)
    KEY_COLUMN: ClassVar[tuple[Printer, ...]] = (
        Printer(name="Account", json_path=".spec.displayName", description="Display name of the account"),
        Printer(name="Install", json_path=".spec.installRef.name", description="The ExtensionInstall"),
    )

    kind: str = KIND
    spec: ExtensionAccountSpec
    status: ExtensionAccountStatus = Field(default_factory=ExtensionAccountStatus)
