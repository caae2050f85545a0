"""ExtensionAccount: one account of an installed extension, its name and its credentials (rotated from a Secret).

Credentials are write-only in the brand, so qxo cannot compare values. It remembers the brand's
`credentialsUpdatedAt` right after it sent a Secret version; a later value means a Brand Administrator
changed the credentials in the UI ("Editing Extension Accounts" in the seed), and the Secret's values
are sent again: drift put right, never a value shown.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from qxo.qualtrics import errors
from qxo.qualtrics.models import Account
from qxo.reconcile.outcome import Refused
from qxo.reconcile.session import BrandSession


@dataclass(frozen=True)
class SecretVersion:
    """Which Secret, at which resourceVersion: what status records instead of any value."""

    name: str
    resource_version: str
    # The brand's credentialsUpdatedAt right after qxo sent this version (not part of the version's identity).
    brand_stamp: datetime | None = field(default=None, compare=False)

    def stamped(self, account: Account | None) -> SecretVersion:
        return self if account is None else replace(self, brand_stamp=account.credentials_updated_at)


@dataclass(frozen=True)
class Credentials:
    version: SecretVersion
    values: dict[str, str] = field(repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class CreateAccount:
    extension_id: str
    name: str
    credentials: Credentials
    client_request_id: str

    def describe(self) -> str:
        return f"created account {self.name!r} of {self.extension_id} with the credentials of Secret " \
               f"{self.credentials.version.name}"


@dataclass(frozen=True)
class RenameAccount:
    account_id: str
    name: str

    def describe(self) -> str:
        return f"renamed account {self.account_id} to {self.name!r}"


@dataclass(frozen=True)
class RotateCredentials:
    account_id: str
    credentials: Credentials

    def describe(self) -> str:
        v = self.credentials.version
        return f"applied the credentials of Secret {v.name} (resourceVersion {v.resource_version}) " \
               f"to account {self.account_id}"


@dataclass(frozen=True)
class RestoreCredentials:
    """Send the Secret's values again: the brand's credentials changed outside qxo since it sent them."""

    account_id: str
    credentials: Credentials
    changed_at: datetime

    def describe(self) -> str:
        v = self.credentials.version
        return f"re-sent the credentials of Secret {v.name} (resourceVersion {v.resource_version}) to account " \
               f"{self.account_id}: they were changed in the brand outside qxo at " \
               f"{self.changed_at.strftime('%Y-%m-%dT%H:%M:%SZ')}"


@dataclass(frozen=True)
class DeleteAccount:
    account_id: str

    def describe(self) -> str:
        return f"deleted account {self.account_id}"


Action = CreateAccount | RenameAccount | RotateCredentials | RestoreCredentials | DeleteAccount
SENDS_CREDENTIALS = (CreateAccount, RotateCredentials, RestoreCredentials)


def changed_outside(account: Account | None, applied: SecretVersion | None) -> datetime | None:
    """When the brand's credentials changed after qxo last sent them (someone edited them in the UI), or None.

    Only a later stamp counts: an observation read before qxo's own write shows an earlier one."""
    if account is None or applied is None or applied.brand_stamp is None:
        return None
    return account.credentials_updated_at if account.credentials_updated_at > applied.brand_stamp else None


def create_request_id(uid: str, previous_id: str | None) -> str:
    """Stable across retries and restarts (a replay creates nothing new), new for a re-creation."""
    return "qxo-" + hashlib.sha256(f"{uid}/{previous_id or 'first'}".encode()).hexdigest()[:32]


def find(state_accounts: dict[str, Account], extension_id: str, name: str,
         known_id: str | None) -> Account | None:
    """By the id we recorded or were told (adoption by external id), else by natural key."""
    if known_id:
        return state_accounts.get(known_id)
    return next((a for a in state_accounts.values() if a.extension_id == extension_id and a.name == name), None)


def find_for_adoption(state_accounts: dict[str, Account], extension_id: str, name: str, known_id: str | None,
                      adopting: bool) -> Account | None:
    """`find`, refusing when the qxo.dev/external-id annotation names an account the brand does not have."""
    account = find(state_accounts, extension_id, name, known_id)
    if account is None and adopting:
        raise Refused("ExternalObjectNotFound",
                      f"metadata.annotations[qxo.dev/external-id]: the brand has no account {known_id!r} to adopt")
    return account


def plan(*, extension_id: str, name: str, credentials: Credentials, account: Account | None,
         applied: SecretVersion | None, uid: str, previous_id: str | None) -> tuple[Action, ...]:
    if account is None:
        return (CreateAccount(extension_id, name, credentials, create_request_id(uid, previous_id)),)
    actions: list[Action] = []
    if account.name != name:
        actions.append(RenameAccount(account.id, name))
    if applied != credentials.version:
        actions.append(RotateCredentials(account.id, credentials))
    elif (changed_at := changed_outside(account, applied)) is not None:
        actions.append(RestoreCredentials(account.id, credentials, changed_at))
    return tuple(actions)


def plan_removal(account: Account | None) -> tuple[Action, ...]:
    return () if account is None else (DeleteAccount(account.id),)


async def apply(session: BrandSession, action: Action) -> Account | None:
    client, accounts = session.client, session.state.accounts
    if isinstance(action, CreateAccount):
        try:
            account = await client.create_account(action.extension_id, action.name, action.credentials.values,
                                                   client_request_id=action.client_request_id)
        except errors.Conflict as taken:
            # Someone added an account of that name in the UI since our last observation: it is the
            # one we declare (the natural key), so adopt it and give it our credentials.
            existing = await client.find_account(action.extension_id, action.name) \
                if taken.error_code == "ACCOUNT_NAME_TAKEN" else None
            if existing is None:
                raise
            account = await client.update_account(existing.id, credentials=action.credentials.values)
    elif isinstance(action, RenameAccount):
        account = await client.update_account(action.account_id, name=action.name)
    elif isinstance(action, RotateCredentials | RestoreCredentials):
        account = await client.update_account(action.account_id, credentials=action.credentials.values)
    else:
        await client.delete_account(action.account_id)
        accounts.pop(action.account_id, None)
        return None
    previous = accounts.get(account.id)
    if account.access is None and previous is not None:
        account = account.model_copy(update={"access": previous.access})
    accounts[account.id] = account
    return account


def status_of(account: Account | None, applied: SecretVersion | None) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if account is not None:
        status["externalId"] = account.id
        status["creator"] = account.creator_id
    if applied is not None:
        status["appliedSecret"] = {"name": applied.name, "resourceVersion": applied.resource_version}
        if applied.brand_stamp is not None:
            status["appliedSecret"]["credentialsUpdatedAt"] = applied.brand_stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return status
