"""Shared shapes of the sandbox's request handling: who calls, what a call produced, paging."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from qxo.sandbox.brand.rules import ApiError

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Caller:
    user_id: str
    username: str
    is_admin: bool


@dataclass
class Outcome:
    """What a handler did: the HTTP status and result, and for writes the state before and after."""

    status: int
    result: Any
    before: Any = None
    after: Any = None
    write: bool = False
    replayed: bool = False
    extra: dict = field(default_factory=dict)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read(result: Any) -> Outcome:
    return Outcome(200, result)


def changed(status: int, result: Any, before: Any, after: Any) -> Outcome:
    return Outcome(status, result, before, after, write=True)


def page(conn: sqlite3.Connection, sql: str, args: tuple, offset: int, size: int,
         view: Callable[[tuple], Any] | None = None) -> tuple[list[Any], bool]:
    """One page of a listing: `sql`'s rows from `offset` (each shown by `view`, by default its one JSON
    column), and whether another page follows (one row more is read to know). Every paged route uses it."""
    rows = conn.execute(f"{sql} LIMIT ? OFFSET ?", (*args, size + 1, offset)).fetchall()
    return [view(row) if view else load(row[0]) for row in rows[:size]], len(rows) > size


def load(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def not_found(code: str, what: str) -> ApiError:
    return ApiError(404, code, f"{what} not found")


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise ApiError(403, "NOT_BRAND_ADMIN", "only a Brand Administrator may do this")


def user_ids(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT id FROM users")}


def group_ids(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT id FROM groups_")}
