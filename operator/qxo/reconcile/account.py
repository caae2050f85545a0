"""ExtensionAccount: one account of an installed extension, its name and its credentials (rotated from a Secret).

Credentials are write-only in the brand, so qxo cannot compare values. It remembers the brand's
`credentialsUpdatedAt` right after it sent a Secret version; a later value means a Brand Administrator
changed the credentials in the UI ("Editing Extension Accounts" in the seed), and the Secret's values
are sent again: drift put right, never a value shown.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from qxo.api.account import ExtensionAccountSpec
from qxo.api.cluster_brand import ClusterQualtricsBrand
from qxo.api.install import ExtensionInstall
from qxo.qualtrics import errors
from qxo.qualtrics.models import Account
from qxo.reconcile.conditions import State
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.protocol import Context, Object, Outcome, Refused, Removal
from qxo.reconcile.session import BrandSession, BrandState, Slice, create_request_id
from qxo.reconcile.trust import read_secret


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


def find(state: BrandState, extension_id: str, name: str, known_id: str | None) -> Account | None:
    """By the id we recorded or were told (adoption by external id), else by natural key."""
    if known_id:
        return state.accounts.get(known_id)
    return state.account_named(extension_id, name)


def find_for_adoption(state: BrandState, extension_id: str, name: str, known_id: str | None,
                      adopting: bool) -> Account | None:
    """`find`, refusing when the qxo.dev/external-id annotation names an account the brand does not have."""
    account = find(state, extension_id, name, known_id)
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
    client = session.client
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
        session.fold("accounts", action.account_id, None)
        return None
    previous = session.state.accounts.get(account.id)
    if account.access is None and previous is not None:
        account = account.model_copy(update={"access": previous.access})
    session.fold("accounts", account.id, account)
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


def _applied(status: Mapping[str, Any]) -> SecretVersion | None:
    """The Secret version status says was applied last (with the brand's stamp right after, when recorded)."""
    applied = status.get("appliedSecret") or {}
    if applied.get("name") and applied.get("resourceVersion"):
        stamp = applied.get("credentialsUpdatedAt")
        return SecretVersion(applied["name"], str(applied["resourceVersion"]),
                             datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None)
    return None


async def _credentials(ctx: Context, obj: Object) -> Credentials:
    spec: ExtensionAccountSpec = obj.spec
    secret = await read_secret(ctx, obj.key.namespace, "spec.credentials.secretRef", spec.credentials.secret_ref.name)
    wanted = list(spec.credentials.keys or secret.values)
    for i, name in enumerate(wanted):
        if name not in secret.values:
            raise Refused("SecretKeyMissing", f"spec.credentials.keys[{i}]: Secret {secret.name} has no key {name!r}")
        if not secret.values[name]:
            # An exported placeholder nobody filled in must never blank real credentials in the brand.
            raise Refused("EmptyCredential", f"spec.credentials.secretRef: Secret {secret.name} has an empty "
                                             f"value for key {name!r}")
    return Credentials(SecretVersion(secret.name, secret.resource_version),
                       {name: secret.values[name] for name in wanted})


def _on_cluster_brand(body: Mapping[str, Any]) -> tuple[ObjectKey, str, str] | None:
    """(the ClusterQualtricsBrand, extension id, display name) of an account that attaches by brandRef."""
    spec = body.get("spec") or {}
    brand, extension_id = (spec.get("brandRef") or {}).get("name"), spec.get("extensionId")
    if not isinstance(brand, str) or not brand or not isinstance(extension_id, str) or not extension_id:
        return None
    return ObjectKey(ClusterQualtricsBrand.KIND, "", brand), extension_id, str(spec.get("displayName") or "")


def install_attachment(key: ObjectKey, body: Mapping[str, Any]) -> tuple[str, Hashable] | None:
    """An account on a ClusterQualtricsBrand belongs to whichever install holds (brand, extension): the one
    ExtensionInstall of that extension in the cluster, in the platform's namespace or any other."""
    found = _on_cluster_brand(body)
    return None if found is None else (ExtensionInstall.KIND, found[:2])


def cluster_account_claim(key: ObjectKey, body: Mapping[str, Any]) -> tuple[ObjectKey, str, str] | None:
    """On a ClusterQualtricsBrand, an account's natural key spans namespaces: the oldest declaration keeps it, so
    no team adopts another's account by declaring its name."""
    return _on_cluster_brand(body)


@dataclass
class Observed:
    session: BrandSession
    account: Account | None
    extension_id: str = ""
    known_id: str | None = None
    applied: SecretVersion | None = None
    credentials: Credentials | None = None
    sent: SecretVersion | None = None  # the version a create, rotation or restore sent, stamped by the brand
    rotations: int = 0


class AccountReconciler:
    def _refuse_if_not_holder(self, ctx: Context, obj: Object) -> None:
        claim = cluster_account_claim(obj.key, obj.body)
        holder = ctx.holder(obj, claim) if claim is not None else obj.key
        if holder != obj.key:
            brand, extension_id, name = claim
            raise Refused("DuplicateAccount", f"spec.displayName: ExtensionAccount {holder.namespace}/{holder.name} "
                                              f"already declares account {name!r} of {extension_id} on "
                                              f"ClusterQualtricsBrand {brand.name}; choose another displayName")

    async def observe(self, ctx: Context, obj: Object) -> Observed:
        spec: ExtensionAccountSpec = obj.spec
        ctx.judge(obj, extension_id=spec.extension_id)
        self._refuse_if_not_holder(ctx, obj)
        _, install = ctx.parent(obj)
        session = ctx.session_for(obj.key)
        state = await session.observe()
        # What only the catalog tells (third party, Preview), judged before any write.
        ctx.judge(obj, extension_id=install["spec"]["extensionId"],
                  facts=state.extensions.get(install["spec"]["extensionId"]))
        seen = session.observations
        known_id = obj.external_id or obj.status.get("externalId")
        if known_id and known_id not in state.accounts:
            state = await session.observe_again(seen)  # added since we last looked, or really gone?
        extension_id = install["spec"]["extensionId"]
        account = find_for_adoption(state, extension_id, spec.display_name, known_id,
                                    adopting=obj.external_id is not None)
        # Our own last write is newer than a body whose status the watch has not delivered yet:
        # planning from the stale status would send the same credentials again.
        applied = ctx.memory(obj.key).get("applied") or _applied(obj.status)
        secret = spec.credentials.secret_ref.name
        needs_values = account is None or applied is None or changed_outside(account, applied) is not None \
            or applied != SecretVersion(secret, ctx.secret_version(obj.key.namespace, secret) or "")
        credentials = await _credentials(ctx, obj) if needs_values else Credentials(applied, {})
        return Observed(session, account, extension_id, known_id, applied, credentials)

    def plan(self, obj: Object, observed: Observed) -> tuple[Action, ...]:
        return plan(extension_id=observed.extension_id, name=obj.spec.display_name,
                    credentials=observed.credentials, account=observed.account, applied=observed.applied,
                    uid=obj.uid, previous_id=observed.known_id if observed.account is None else None)

    async def apply(self, ctx: Context, observed: Observed, action: Action) -> None:
        observed.account = await apply(observed.session, action)
        if isinstance(action, SENDS_CREDENTIALS):
            observed.sent = action.credentials.version.stamped(observed.account)
            observed.rotations += isinstance(action, RotateCredentials)

    def status(self, ctx: Context, obj: Object, observed: Observed, outcome: Outcome) -> None:
        applied, ready = observed.sent or observed.applied, outcome.state is State.READY
        if observed.sent is None and applied is not None and applied.brand_stamp is None and ready \
                and observed.account is not None:
            applied = applied.stamped(observed.account)  # a status from before the stamp: start from now
        if applied is not None and applied is not observed.applied:
            ctx.memory(obj.key)["applied"] = applied
        outcome.status = status_of(observed.account, applied)
        if observed.account is not None:
            outcome.rests_on = Slice("accounts", observed.account.id,
                                     ("extension_id", "name", "credentials_updated_at"))
        if ready:
            outcome.rotations = observed.rotations
            if observed.sent is not None:
                outcome.status["lastRotationTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    async def finalize(self, ctx: Context, obj: Object) -> Removal:
        account_id = obj.external_id or obj.status.get("externalId")
        if account_id is None:
            return Removal(done="nothing was created")
        session = await ctx.session_holding(obj, lambda state: account_id in state.accounts)
        if session is None:
            return Removal(done="the account is already gone from the brand")
        account = (await session.observe()).accounts.get(account_id)
        return Removal(Observed(session, account), plan_removal(account))
