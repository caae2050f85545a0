"""Identity, users, groups, OAuth tokens and each user's Salesforce connections."""

from __future__ import annotations

import secrets
import sqlite3
import time

from qxo.sandbox.brand.common import Caller, Outcome, changed, load, not_found, now, read, require_admin, rows_page
from qxo.sandbox.brand.rules import ApiError, check_connection
from qxo.sandbox.brand.seed import DATACENTER_ID, new_id
from qxo.sandbox.brand.store import dumps

MAX_SALESFORCE_CONNECTIONS = 5


def caller_for_token(conn: sqlite3.Connection, api_token: str | None, bearer: str | None) -> Caller | None:
    if api_token:
        row = conn.execute("SELECT id, username, is_admin FROM users WHERE token = ?", (api_token,)).fetchone()
    elif bearer:
        row = conn.execute("SELECT u.id, u.username, u.is_admin FROM oauth_tokens t JOIN users u ON u.id = t.user_id "
                           "WHERE t.token = ? AND t.expires_at > ?", (bearer, time.time())).fetchone()
    else:
        row = None
    return None if row is None else Caller(row[0], row[1], bool(row[2]))


def issue_token(conn: sqlite3.Connection, client_id: str, secret: str, ttl: float) -> tuple[str, str] | None:
    row = conn.execute("SELECT secret, user_id FROM oauth_clients WHERE client_id = ?", (client_id,)).fetchone()
    if row is None or not secrets.compare_digest(row[0], secret):
        return None
    token = secrets.token_urlsafe(32)
    conn.execute("DELETE FROM oauth_tokens WHERE expires_at < ?", (time.time(),))
    conn.execute("INSERT INTO oauth_tokens VALUES (?, ?, ?)", (token, row[1], time.time() + ttl))
    return token, row[1]


def expire_tokens(conn: sqlite3.Connection) -> int:
    return conn.execute("UPDATE oauth_tokens SET expires_at = 0").rowcount


def whoami(conn: sqlite3.Connection, caller: Caller, brand_id: str) -> Outcome:
    user = load(conn.execute("SELECT doc FROM users WHERE id = ?", (caller.user_id,)).fetchone()[0])
    return read({"brandId": brand_id, "userId": user["id"], "userName": user["username"],
                 "accountType": user["userType"], "firstName": user["firstName"], "lastName": user["lastName"],
                 "email": user["email"], "datacenterId": DATACENTER_ID})


def list_users(conn: sqlite3.Connection, caller: Caller, offset: int, size: int):
    require_admin(caller)
    rows, more = rows_page(conn, "SELECT doc FROM users ORDER BY seq", (), offset, size)
    return [load(r[0]) for r in rows], more


def get_user(conn: sqlite3.Connection, caller: Caller, user_id: str) -> Outcome:
    if user_id != caller.user_id:
        require_admin(caller)
    row = conn.execute("SELECT doc FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise not_found("USER_NOT_FOUND", f"user {user_id!r}")
    return read(load(row[0]))


def list_groups(conn: sqlite3.Connection, caller: Caller, offset: int, size: int):
    require_admin(caller)
    rows, more = rows_page(conn, "SELECT doc FROM groups_ ORDER BY seq", (), offset, size)
    return [load(r[0]) for r in rows], more


def _subject(conn: sqlite3.Connection, caller: Caller, user_id: str) -> None:
    """A user manages their own connections; a Brand Administrator may manage anyone's."""
    if user_id != caller.user_id:
        require_admin(caller)
    if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
        raise not_found("USER_NOT_FOUND", f"user {user_id!r}")


def _connection(conn: sqlite3.Connection, user_id: str, connection_id: str) -> dict:
    row = conn.execute("SELECT doc FROM sf_connections WHERE id = ? AND user_id = ?",
                       (connection_id, user_id)).fetchone()
    if row is None:
        raise not_found("SALESFORCE_CONNECTION_NOT_FOUND", f"Salesforce connection {connection_id!r}")
    return load(row[0])


def list_connections(conn: sqlite3.Connection, caller: Caller, user_id: str | None, offset: int, size: int):
    if user_id is None:
        require_admin(caller)
        rows, more = rows_page(conn, "SELECT doc FROM sf_connections ORDER BY seq", (), offset, size)
    else:
        _subject(conn, caller, user_id)
        rows, more = rows_page(conn, "SELECT doc FROM sf_connections WHERE user_id = ? ORDER BY seq",
                               (user_id,), offset, size)
    return [load(r[0]) for r in rows], more


def get_connection(conn: sqlite3.Connection, caller: Caller, user_id: str, connection_id: str) -> Outcome:
    _subject(conn, caller, user_id)
    return read(_connection(conn, user_id, connection_id))


def _org_free(conn: sqlite3.Connection, user_id: str, org_id: str, connection_id: str | None = None) -> None:
    row = conn.execute("SELECT id FROM sf_connections WHERE user_id = ? AND org_id = ?", (user_id, org_id)).fetchone()
    if row is not None and row[0] != connection_id:
        raise ApiError(409, "SALESFORCE_CONNECTION_EXISTS",
                       f"orgId: this user already has a connection to org {org_id} (id {row[0]})", "orgId")


def create_connection(conn: sqlite3.Connection, caller: Caller, user_id: str, body: object) -> Outcome:
    fields = check_connection(body, full=False)
    _subject(conn, caller, user_id)
    _org_free(conn, user_id, fields["orgId"])
    count = conn.execute("SELECT COUNT(*) FROM sf_connections WHERE user_id = ?", (user_id,)).fetchone()[0]
    if count >= MAX_SALESFORCE_CONNECTIONS:
        raise ApiError(409, "SALESFORCE_CONNECTION_LIMIT",
                       f"userId: a user has at most {MAX_SALESFORCE_CONNECTIONS} Salesforce connections", "userId")
    at = now()
    credentials = fields.pop("credentials") or {}
    doc = {"id": new_id("SC_"), "userId": user_id, **fields, "createdAt": at, "updatedAt": at}
    conn.execute("INSERT INTO sf_connections (id, user_id, org_id, doc, credentials) VALUES (?, ?, ?, ?, ?)",
                 (doc["id"], user_id, doc["orgId"], dumps(doc), dumps(credentials)))
    return changed(201, doc, None, doc)


def put_connection(conn: sqlite3.Connection, caller: Caller, user_id: str, connection_id: str,
                   body: object) -> Outcome:
    fields = check_connection(body, full=True)
    _subject(conn, caller, user_id)
    doc = _connection(conn, user_id, connection_id)
    _org_free(conn, user_id, fields["orgId"], connection_id)
    credentials = fields.pop("credentials")
    stored = load(conn.execute("SELECT credentials FROM sf_connections WHERE id = ?", (connection_id,)).fetchone()[0])
    after = {**doc, **fields}
    if after == doc and credentials in (None, stored):
        return Outcome(200, doc)
    after["updatedAt"] = now()
    conn.execute("UPDATE sf_connections SET org_id = ?, doc = ?, credentials = ? WHERE id = ?",
                 (after["orgId"], dumps(after), dumps(stored if credentials is None else credentials), connection_id))
    return changed(200, after, doc, after)


def delete_connection(conn: sqlite3.Connection, caller: Caller, user_id: str, connection_id: str) -> Outcome:
    _subject(conn, caller, user_id)
    doc = _connection(conn, user_id, connection_id)
    conn.execute("DELETE FROM sf_connections WHERE id = ?", (connection_id,))
    return changed(200, {"id": connection_id, "deleted": True}, doc, None)
