"""The audit log: every API call with who, route, status and (for writes) before and after.

Bodies are logged with credential values redacted; before/after are public views, which never
hold credentials in the first place. The log is a ring: it keeps the latest `keep` entries (each
append drops the one that falls out), while the totals count every call since the database was
created. Entries keep their sequence numbers, so a reader pages on with `since` and can tell from
`first` whether entries it had not read yet rotated out.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from qxo.sandbox.brand.store import dumps

REDACTED = "***"


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (_redact_all(v) if k == "credentials" else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _redact_all(value: Any) -> Any:
    if isinstance(value, dict):
        return dict.fromkeys(value, REDACTED)
    return REDACTED


DEFAULT_KEEP = 100_000  # entries; a converge of 10,000 objects makes about 14,000 calls


def initialize(conn: sqlite3.Connection) -> None:
    """The totals row, counted once from the log when the database predates it (nothing rotated out then)."""
    if conn.execute("SELECT 1 FROM audit_totals WHERE id = 1").fetchone() is None:
        conn.execute("INSERT INTO audit_totals (id, reads, writes, tokens, changes) SELECT 1, "
                     "COALESCE(SUM(kind = 'read'), 0), COALESCE(SUM(kind = 'write'), 0), "
                     "COALESCE(SUM(kind = 'auth'), 0), COALESCE(SUM(changed), 0) FROM audit")


def append(conn: sqlite3.Connection, entry: dict, kind: str, changed: bool, keep: int = DEFAULT_KEEP) -> int:
    """`kind` is read, write, or auth (token requests count as neither reads nor writes of the brand)."""
    seq = conn.execute("INSERT INTO audit (kind, changed, doc) VALUES (?, ?, ?)",
                       (kind, int(changed), dumps(entry))).lastrowid
    conn.execute("DELETE FROM audit WHERE seq <= ?", (seq - keep,))
    column = {"read": "reads", "write": "writes", "auth": "tokens"}[kind]
    conn.execute(f"UPDATE audit_totals SET {column} = {column} + 1, changes = changes + ? WHERE id = 1",  # noqa: S608
                 (int(changed),))
    return seq


def since(conn: sqlite3.Connection, after: int, limit: int) -> dict:
    """Entries after seq `after` (at most `limit`), the first and last seq kept, and the totals of every call."""
    rows = conn.execute("SELECT seq, doc FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)).fetchall()
    first, last = conn.execute("SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM audit").fetchone()
    reads, writes, tokens, changes = conn.execute(
        "SELECT reads, writes, tokens, changes FROM audit_totals WHERE id = 1").fetchone()
    return {"entries": [{"seq": seq, **json.loads(doc)} for seq, doc in rows], "first": first, "last": last,
            "totals": {"reads": reads, "writes": writes, "changes": changes, "tokens": tokens}}
