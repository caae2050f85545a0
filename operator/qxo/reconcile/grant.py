"""AccountGrant: exactly who may use one account, with user or owner access, or all users with user access.

The seed's rules, as the brand applies them: only the creator or an owner (directly, or as a member of a
group with Owner access) may change who uses an account; ownership is given to Brand Administrators.
One rule is qxo's own: the operator never removes its own way to manage an account it did not create,
since it could then change nothing more on it (nor delete it); that one entry is kept and reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qxo.api.grant import AccountGrantSpec
from qxo.qualtrics.models import Access, AccessEntry, Account, Identity
from qxo.reconcile import people
from qxo.reconcile.conditions import State, Verdict
from qxo.reconcile.keys import ObjectKey, generation
from qxo.reconcile.protocol import Context, Object, Outcome, Refused, Removal, Waiting
from qxo.reconcile.session import BrandSession, Slice


@dataclass(frozen=True)
class PutAccess:
    account_id: str
    access: Access
    added: tuple[str, ...]
    removed: tuple[str, ...]
    kept_own_access: bool = False  # the operator's Owner entry is in `access` though the spec does not list it

    def describe(self) -> str:
        changes = [f"+{e}" for e in self.added] + [f"-{e}" for e in self.removed]
        return f"set who may use account {self.account_id}: {' '.join(changes) or 'no one'}"


def entries(access: Access | None) -> set[str]:
    """Comparable entries such as `user:UR_1=Owner`, `group:GR_2=User`, `allUsers=User`."""
    access = access or Access()
    found = {f"user:{e.id}={e.access}" for e in access.users} | {f"group:{e.id}={e.access}" for e in access.groups}
    if access.all_users:
        found.add("allUsers=User")
    return found


def _owner_groups(access: Access | None) -> set[str]:
    return {g.id for g in (access or Access()).groups if g.access == "Owner"}


def may_manage(access: Access | None, account: Account, identity: Identity, member_of: frozenset[str]) -> bool:
    """Whether `identity` may change who uses `account` if its access list were `access`: as its creator, as a
    direct owner, or as a member of a group with Owner access (the brand decides the same way)."""
    if identity.user_id == account.creator_id:
        return True
    if any(u.id == identity.user_id and u.access == "Owner" for u in (access or Access()).users):
        return True
    return bool(_owner_groups(access) & member_of)


def check_may_change(account: Account, identity: Identity, member_of: frozenset[str]) -> None:
    """The seed: only an owner or the creator of an account can change who may use it."""
    if identity.user_id in account.owners or may_manage(account.access, account, identity, member_of):
        return
    raise Refused("NotOwnerOrCreator",
                  f"spec.accountRef: the operator's identity {identity.user_name} is neither an owner (directly or "
                  f"through a group with Owner access) nor the creator of account {account.name!r}; ask an owner to "
                  "give it owner access")


def keep_own_access(desired: Access, account: Account, identity: Identity,
                    member_of: frozenset[str]) -> tuple[Access, bool]:
    """`desired`, plus a direct Owner entry for the operator's identity when `desired` would leave it unable to
    manage an account it did not create; True when that entry was added."""
    if may_manage(desired, account, identity, member_of):
        return desired, False
    users = tuple(u for u in desired.users if u.id != identity.user_id)
    return desired.model_copy(update={"users": (*users, AccessEntry(id=identity.user_id, access="Owner"))}), True


def plan(desired: Access, account: Account, identity: Identity,
         member_of: frozenset[str] = frozenset()) -> tuple[PutAccess, ...]:
    """The access write that makes `account` match `desired`, keeping the operator's own way to manage it."""
    have = entries(account.access)
    if have == entries(desired):
        return ()
    check_may_change(account, identity, member_of)
    wanted_access, kept = keep_own_access(desired, account, identity, member_of)
    want = entries(wanted_access)
    if have == want:
        return ()
    return (PutAccess(account.id, wanted_access, tuple(sorted(want - have)), tuple(sorted(have - want)), kept),)


def plan_removal(account: Account | None, identity: Identity,
                 member_of: frozenset[str] = frozenset()) -> tuple[PutAccess, ...]:
    if account is None or not entries(account.access):
        return ()
    check_may_change(account, identity, member_of)
    remaining, kept = keep_own_access(Access(), account, identity, member_of)
    have, want = entries(account.access), entries(remaining)
    if have == want:
        return ()
    return (PutAccess(account.id, remaining, tuple(sorted(want - have)), tuple(sorted(have - want)), kept),)


def keeps_own_access(desired: Access, account: Account | None, identity: Identity, member_of: frozenset[str]) -> bool:
    """Whether the operator's own Owner entry stays in the account only because qxo never removes it."""
    return account is not None and keep_own_access(desired, account, identity, member_of)[1]


async def operator_groups(session: BrandSession, account: Account, desired: Access | None) -> frozenset[str]:
    """The groups with Owner access (now or as declared) that the operator's identity belongs to.

    Read only for accounts the operator did not create and does not own directly: the members of each such
    group, once per observation."""
    identity = session.identity
    if identity.user_id == account.creator_id:
        return frozenset()
    member_of = set()
    for group_id in sorted(_owner_groups(account.access) | _owner_groups(desired)):
        if identity.user_id in await session.group_members(group_id):
            member_of.add(group_id)
    return frozenset(member_of)


async def apply(session: Any, action: PutAccess) -> None:
    access = await session.client.put_access(action.account_id, action.access)
    account = session.state.accounts.get(action.account_id)
    if account is not None:
        session.fold("accounts", account.id, account.model_copy(update={"access": access}))


def access_parts(generation: int, account: Account) -> tuple[str, ...]:
    """What an access seal covers: the account, its access list as the grant left it, and the spec's generation."""
    return ("access", str(generation), account.id, *sorted(entries(account.access)))


def status_of(account: Account | None, kept_owner: str | None = None, seal: str | None = None) -> dict[str, Any]:
    if account is None:
        return {}
    access = account.access or Access()
    owners = sum(1 for e in (*access.users, *access.groups) if e.access == "Owner")
    status: dict[str, Any] = {
        "externalId": account.id,
        "allUsers": access.all_users,
        "users": len(access.users),
        "groups": len(access.groups),
        "owners": owners,
    }
    if kept_owner:
        status["keptOwner"] = kept_owner
    if seal:
        status["accessSeal"] = seal
    return status


def left_as_sealed(obj: Object, session: BrandSession, account: Account) -> bool:
    """Whether the account's access is what this grant left at this generation, as its sealed status says: then
    nothing is resolved again (after a restart, no user or group is read for a grant that is as it was)."""
    return obj.status.get("observedGeneration") == generation(obj.body) and \
        session.sealed(obj.status.get("accessSeal"), *access_parts(generation(obj.body), account))


async def desired_access(session: BrandSession, spec: AccountGrantSpec) -> Access:
    """The declared access with usernames and group names resolved to brand ids; unknown ones are refused, and so
    is Owner access for a user who is not a Brand Administrator (the seed gives ownership to them only)."""
    users = [entry.user for entry in spec.users]
    groups = [entry.group for entry in spec.groups]
    user_ids = await people.user_ids(session, users, lambda i: f"spec.users[{i}].user")
    group_ids = await people.group_ids(session, groups, lambda i: f"spec.groups[{i}].group")
    people.refuse_same_user_twice("spec.users", users, user_ids)
    owners = [(i, entry) for i, entry in enumerate(spec.users) if entry.access == "Owner"]
    if owners:
        admins = await session.brand_administrators(user_ids[entry.user] for _, entry in owners)
        for i, entry in owners:
            if user_ids[entry.user] not in admins:
                raise Refused("OwnerNotBrandAdministrator",
                              f"spec.users[{i}]: {entry.user} is not a Brand Administrator, and ownership of an "
                              "account is given to Brand Administrators only; give them User access, or make them a "
                              "Brand Administrator first")
    return Access.of(all_users=spec.all_users is not None,
                     users=[(user_ids[e.user], str(e.access)) for e in spec.users],
                     groups=[(group_ids[e.group], str(e.access)) for e in spec.groups])


def account_claim(key: ObjectKey, body: Mapping[str, Any]) -> ObjectKey | None:
    """The ExtensionAccount a grant declares access to: one AccountGrant per account."""
    name = ((body.get("spec") or {}).get("accountRef") or {}).get("name")
    return key.sibling("ExtensionAccount", name) if isinstance(name, str) and name else None


@dataclass
class Observed:
    session: BrandSession
    account: Account | None
    desired: Access | None = None
    member_of: frozenset[str] = frozenset()


class GrantReconciler:
    async def observe(self, ctx: Context, obj: Object) -> Observed:
        ctx.judge(obj)  # allUsers and Owner access, where a policy forbids them
        account_key = account_claim(obj.key, obj.body)
        holder = ctx.holder(obj, account_key)
        if holder != obj.key:
            raise Refused("ConflictingGrant", f"spec.accountRef: AccountGrant {holder.name} already declares who "
                                              f"may use {account_key.name}; merge the two into one")
        ctx.parent(obj)
        account_id = ctx.status_of(account_key).get("externalId")
        if not account_id or ctx.brand_of(account_key) is None:
            raise Waiting("WaitingForAccount", f"ExtensionAccount {account_key.name} has no account in the brand yet")
        session = ctx.session_for(account_key)
        state = await session.observe()
        seen = session.observations
        if account_id not in state.accounts:
            state = await session.observe_again(seen)
        account = state.accounts.get(account_id)
        if account is None:
            # Gone from the brand: the ExtensionAccount re-creates it, and its new status wakes us.
            raise Waiting("WaitingForAccount", f"account {account_id} is not in the brand")
        if left_as_sealed(obj, session, account):
            return Observed(session, account)
        desired = await desired_access(session, obj.spec)
        return Observed(session, account, desired, await operator_groups(session, account, desired))

    def plan(self, obj: Object, observed: Observed) -> tuple[PutAccess, ...]:
        if observed.desired is None:  # left as sealed: nothing to change
            return ()
        return plan(observed.desired, observed.account, observed.session.identity, observed.member_of)

    async def apply(self, ctx: Context, observed: Observed, action: PutAccess) -> None:
        await apply(observed.session, action)

    def status(self, ctx: Context, obj: Object, observed: Observed, outcome: Outcome) -> None:
        identity, session = observed.session.identity, observed.session
        if observed.desired is None:
            kept = bool(obj.status.get("keptOwner"))
        else:
            kept = keeps_own_access(observed.desired, observed.account, identity, observed.member_of)
        account = session.state.accounts.get(observed.account.id)
        seal = session.seal(*access_parts(generation(obj.body), account)) \
            if account is not None and outcome.state is State.READY else None
        outcome.status = status_of(account, identity.user_name if kept else None, seal)
        # (not `owners`: the brand derives it from the access list, which the fold of a write carries)
        outcome.rests_on = Slice("accounts", observed.account.id, ("access", "creator_id"))
        if kept and outcome.state is State.READY:
            outcome.verdict = Verdict(State.READY, outcome.verdict.reason, f"{outcome.verdict.message}; kept Owner "
                                      f"access for the operator's identity {identity.user_name}, which qxo never "
                                      "removes from an account it did not create")

    async def finalize(self, ctx: Context, obj: Object) -> Removal:
        account_id = obj.status.get("externalId")
        if not account_id:
            return Removal(done="no access was set")
        session = await ctx.session_holding(obj, lambda state: account_id in state.accounts)
        if session is None:
            return Removal(done="the account is already gone from the brand, and its access with it")
        account = (await session.observe()).accounts.get(account_id)
        member_of = await operator_groups(session, account, None) if account is not None else frozenset()
        return Removal(Observed(session, account), plan_removal(account, session.identity, member_of))
