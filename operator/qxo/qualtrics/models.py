"""Typed results of the brand API, parsed from v3 JSON with camelCase aliases.

Each is a frozen, slotted pydantic dataclass, not a BaseModel: an observation holds one per installed
extension and per account (6,000 at N=10,000 objects, two observations at once while one replaces the
other), and a BaseModel carries a `__dict__` and a set of the fields given on top of its values, about
three times what the values take (docs/performance.md, "Memory per object").
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import dataclass

AccessLevel = Literal["User", "Owner"]
# v3's userType of a Brand Administrator (whoami's accountType, /users' userType).
BRAND_ADMIN_TYPE = "UT_BRANDADMIN"


# Unknown fields are ignored so a brand that adds fields never breaks the operator.
_CONFIG = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")
_record = dataclass(frozen=True, slots=True, kw_only=True, config=_CONFIG)


class _Model:
    """The part of pydantic's model interface qxo uses, for the dataclasses below."""

    __slots__ = ()

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        return cls.__pydantic_validator__.validate_python(data)  # type: ignore[attr-defined]

    @classmethod
    def model_validate_json(cls, data: str | bytes) -> Self:
        return cls.__pydantic_validator__.validate_json(data)  # type: ignore[attr-defined]

    def model_dump(self, *, by_alias: bool = False, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        return self.__pydantic_serializer__.to_python(self, by_alias=by_alias, mode=mode)  # type: ignore[attr-defined]

    def model_copy(self, *, update: dict[str, Any]) -> Self:
        return dataclasses.replace(self, **update)  # type: ignore[type-var]


@_record
class Identity(_Model):
    brand_id: str
    user_id: str
    user_name: str
    account_type: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    datacenter_id: str | None = None


@_record
class User(_Model):
    id: str
    username: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    user_type: str | None = None
    account_status: str | None = None


@_record
class Group(_Model):
    id: str
    name: str


@_record
class TermsAcceptance(_Model):
    accepted_by: str
    accepted_at: datetime
    terms_url: str
    privacy_policy_url: str


@_record
class Installation(_Model):
    extension_id: str
    installed_at: datetime
    installed_by: str
    terms_acceptance: TermsAcceptance | None = None
    preview_opt_in: bool = False


@_record
class Enablement(_Model):
    """Who the extension is enabled for; empty means nobody."""

    all_users: bool = False
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@_record
class AccessEntry(_Model):
    id: str
    access: AccessLevel = "User"


@_record
class Access(_Model):
    """Who may use an account. `all_users` grants user access only: never owner access."""

    all_users: bool = False
    users: tuple[AccessEntry, ...] = ()
    groups: tuple[AccessEntry, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        all_users: bool = False,
        users: list[tuple[str, AccessLevel]] | tuple = (),
        groups: list[tuple[str, AccessLevel]] | tuple = (),
    ) -> Access:
        """Build from (id, level) pairs, the form reconcilers naturally hold."""
        return cls(
            all_users=all_users,
            users=tuple(AccessEntry(id=i, access=a) for i, a in users),
            groups=tuple(AccessEntry(id=i, access=a) for i, a in groups),
        )


@_record
class Extension(_Model):
    """A catalog entry with this brand's install state (and, when asked, domains and enablement)."""

    id: str
    name: str
    publisher: str
    first_party: bool
    preview: bool
    domains_editable: bool
    default_domains: tuple[str, ...] = ()
    privacy_policy_url: str
    terms_url: str
    support_contact: str
    installed: bool = False
    installation: Installation | None = None
    domains: tuple[str, ...] | None = None
    enablement: Enablement | None = None


@_record
class Account(_Model):
    id: str
    extension_id: str
    name: str
    creator_id: str
    owners: tuple[str, ...] = ()
    created_at: datetime
    updated_at: datetime
    credentials_updated_at: datetime
    credential_keys: tuple[str, ...] = ()
    access: Access | None = None


@_record
class SalesforceConnection(_Model):
    id: str
    user_id: str
    name: str
    environment: Literal["Production", "Sandbox"]
    instance_url: str
    org_id: str
    token_status: Literal["Valid", "Expired", "Revoked"] = "Valid"
    created_at: datetime
    updated_at: datetime


@_record
class BrandSnapshot(_Model):
    """One observation of the whole brand; `requests` is the number of pages it read."""

    extensions: tuple[Extension, ...] = ()
    accounts: tuple[Account, ...] = ()
    salesforce_connections: tuple[SalesforceConnection, ...] = ()
    requests: int = 0
    observed_at: datetime = Field(default_factory=lambda: datetime.now().astimezone())

    @property
    def installed(self) -> dict[str, Extension]:
        return {ext.id: ext for ext in self.extensions if ext.installed}

    def accounts_of(self, extension_id: str) -> list[Account]:
        return [a for a in self.accounts if a.extension_id == extension_id]
