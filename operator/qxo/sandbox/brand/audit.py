"""The audit log: every API call with who, route, status and (for writes) before and after.

Bodies are logged with credential values redacted; before/after are public views, which never
hold credentials in the first place.
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


def append(conn: sqlite3.Connection, entry: dict, kind: str, changed: bool) -> int:
    """`kind` is read, write, or auth (token requests count as neither reads nor writes of the brand)."""
    cursor = conn.execute("INSERT INTO audit (kind, changed, doc) VALUES (?, ?, ?)", (kind, int(changed), dumps(entry)))
    return cursor.lastrowid


def since(conn: sqlite3.Connection, after: int, limit: int) -> dict:
    rows = conn.execute("SELECT seq, doc FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)).fetchall()
    reads, writes, auth, changes, last = conn.execute(
        "SELECT COALESCE(SUM(kind = 'read'), 0), COALESCE(SUM(kind = 'write'), 0), COALESCE(SUM(kind = 'auth'), 0), "
        "COALESCE(SUM(changed), 0), COALESCE(MAX(seq), 0) FROM audit").fetchone()
    return {"entries": [{"seq": seq, **json.loads(doc)} for seq, doc in rows],
            "last": last, "totals": {"reads": reads, "writes": writes, "changes": changes, "tokens": auth}}
