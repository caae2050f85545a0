"""ExtensionAccount: one account (credentials from a Secret) of an installed extension."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

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
)


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

    install_ref: LocalObjectReference
    """The ExtensionInstall this account belongs to."""
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
