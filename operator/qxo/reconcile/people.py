"""Brand users and groups named in a spec, resolved to their ids; an unknown name, or one user named twice
(a username and its email, another case), is refused naming the field before anything is written."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qxo.reconcile.outcome import Refused
from qxo.reconcile.session import BrandSession


async def user_ids(session: BrandSession, names: Sequence[str], field_of: Callable[[int], str]) -> dict[str, str]:
    """Name -> user id for every name; `field_of(i)` is the field naming the i-th."""
    ids = await session.resolve_users(names) if names else {}
    for i, name in enumerate(names):
        if name not in ids:
            raise Refused("UnknownUser", f"{field_of(i)}: the brand has no user {name!r}")
    return ids


async def group_ids(session: BrandSession, names: Sequence[str], field_of: Callable[[int], str]) -> dict[str, str]:
    """Name -> group id for every name; `field_of(i)` is the field naming the i-th."""
    ids = await session.resolve_groups(names) if names else {}
    for i, name in enumerate(names):
        if name not in ids:
            raise Refused("UnknownGroup", f"{field_of(i)}: the brand has no group {name!r}")
    return ids


def refuse_same_user_twice(field: str, names: Sequence[str], ids: dict[str, str]) -> None:
    """Two spellings of one user would make the brand refuse the whole list after other writes went through."""
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        j = first.setdefault(ids[name], i)
        if j != i:
            raise Refused("DuplicateUser", f"{field}[{i}]: {name!r} is the same brand user as {field}[{j}] "
                                           f"({names[j]!r})")
