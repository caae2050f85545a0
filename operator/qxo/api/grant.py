"""AccountGrant: who may use one extension account, with User or Owner access."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field

from qxo.api.common import (
    ApiModel,
    GroupName,
    LocalObjectReference,
    Printer,
    Resource,
    SpecBase,
    StatusBase,
    Username,
    cel,
)


class Access(StrEnum):
    """User may use the account in workflows; Owner may also remove it and decide who uses it."""

    USER = "User"
    OWNER = "Owner"


class AllUsersGrant(ApiModel):
    """Access for every user of the brand ("Give access to all users")."""

    access: Annotated[Access, Field(json_schema_extra=cel(
        ("self != 'Owner'", "Owner access cannot be granted to all users"),
    ))] = Access.USER
    """Only User: Owner access cannot be granted to all users."""


class UserGrant(ApiModel):
    """Access for one user."""

    user: Username
    """Username (often the email) of the user."""
    access: Access = Access.USER
    """User (default) or Owner."""


class GroupGrant(ApiModel):
    """Access for every member of one group."""

    group: GroupName
    """Name of the group."""
    access: Access = Access.USER
    """User (default) or Owner."""


class AccountGrantSpec(SpecBase):
    """Desired access list of one account; entries not listed here are removed."""

    model_config = ConfigDict(json_schema_extra=cel(
        ("has(self.allUsers) || (has(self.users) && size(self.users) > 0)"
         " || (has(self.groups) && size(self.groups) > 0)",
         "grant access to allUsers, users or groups (delete the AccountGrant to revoke everyone)"),
    ))

    account_ref: LocalObjectReference
    """The ExtensionAccount this grant is for; one AccountGrant per account."""
    all_users: AllUsersGrant | None = None
    """Give every user of the brand User access."""
    users: list[UserGrant] = Field(
        default_factory=list, max_length=500,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["user"]})
    """Users and their access; a user appears once."""
    groups: list[GroupGrant] = Field(
        default_factory=list, max_length=100,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["group"]})
    """Groups and their access; a group appears once."""


class AccountGrantStatus(StatusBase):
    """Observed access list of the account, written by the operator."""

    external_id: str | None = None
    """Id of the account in the brand whose access this grant manages (kept to clean up on delete)."""
    all_users: bool | None = None
    """Whether every user has User access."""
    users: int | None = None
    """Users with access."""
    groups: int | None = None
    """Groups with access."""
    owners: int | None = None
    """Users and groups with Owner access."""
    kept_owner: str | None = None
    """The operator's identity, kept as an Owner of the account though the spec does not list it: qxo never
    removes its own access to an account it did not create (it could manage the account no more)."""
    access_seal: str | None = None
    """HMAC of the access list this grant left and its generation, keyed by the brand's credentials: while the
    account's access still matches it, a converge (one after a restart too) resolves no user or group again."""


class AccountGrant(Resource):
    """Who may use one extension account: users and groups with User or Owner access, or all users."""

    KIND: ClassVar[str] = "AccountGrant"
    PLURAL: ClassVar[str] = "accountgrants"
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ("qxgrant",)
    KEY_COLUMN: ClassVar[tuple[Printer, ...]] = (
        Printer(name="Account", json_path=".spec.accountRef.name", description="The ExtensionAccount"),
    )

    kind: str = KIND
    spec: AccountGrantSpec
    status: AccountGrantStatus = Field(default_factory=AccountGrantStatus)
