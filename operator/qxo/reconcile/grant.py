"""AccountGrant: exactly who may use one account, with user or owner access, or all users with user access."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qxo.api.grant import AccountGrantSpec
from qxo.qualtrics.models import Access, Account, Identity
from qxo.reconcile.install import refuse_same_user_twice
from qxo.reconcile.outcome import Refused
from qxo.reconcile.session import BrandSession


@dataclass(frozen=True)
class PutAccess:
    account_id: str
    access: Access
    added: tuple[str, ...]
    removed: tuple[str, ...]

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


def check_may_change(account: Account, identity: Identity) -> None:
    """The seed: only an owner or the creator of an account can change who may use it."""
    if identity.user_id != account.creator_id and identity.user_id not in account.owners:
        raise Refused("NotOwnerOrCreator",
                      f"spec.accountRef: the operator's identity {identity.user_name} is neither an owner nor the "
                      f"creator of account {account.name!r}; ask an owner to give it owner access")


def plan(desired: Access, account: Account, identity: Identity) -> tuple[PutAccess, ...]:
    have, want = entries(account.access), entries(desired)
    if have == want:
        return ()
    check_may_change(account, identity)
    return (PutAccess(account.id, desired, tuple(sorted(want - have)), tuple(sorted(have - want))),)


def plan_removal(account: Account | None, identity: Identity) -> tuple[PutAccess, ...]:
    if account is None or not entries(account.access):
        return ()
    check_may_change(account, identity)
    return (PutAccess(account.id, Access(), (), tuple(sorted(entries(account.access)))),)


async def apply(session: Any, action: PutAccess) -> None:
    access = await session.client.put_access(action.account_id, action.access)
    account = session.state.accounts.get(action.account_id)
    if account is not None:
        session.state.accounts[account.id] = account.model_copy(update={"access": access})


def status_of(account: Account | None) -> dict[str, Any]:
    if account is None:
        return {}
    access = account.access or Access()
    return {
        "externalId": account.id,
        "allUsers": access.all_users,
        "users": len(access.users),
        "groups": len(access.groups),
    }


async def desired_access(session: BrandSession, spec: AccountGrantSpec) -> Access:
    """The declared access with usernames and group names resolved to brand ids; unknown ones are refused."""
    users = [entry.user for entry in spec.users]
    groups = [entry.group for entry in spec.groups]
    user_ids = await session.resolve_users(users) if users else {}
    group_ids = await session.resolve_groups(groups) if groups else {}
    for i, name in enumerate(users):
        if name not in user_ids:
            raise Refused("UnknownUser", f"spec.users[{i}].user: the brand has no user {name!r}")
    for i, name in enumerate(groups):
        if name not in group_ids:
            raise Refused("UnknownGroup", f"spec.groups[{i}].group: the brand has no group {name!r}")
    refuse_same_user_twice("spec.users", users, user_ids)
    return Access.of(all_users=spec.all_users is not None,
                     users=[(user_ids[e.user], str(e.access)) for e in spec.users],
                     groups=[(group_ids[e.group], str(e.access)) for e in spec.groups])
