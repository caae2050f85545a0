"""Identity, users, groups, OAuth tokens and each user's Salesforce connections."""

from __future__ import annotations

import secrets
import sqlite3
import time

from qxo.sandbox.brand.common import Caller, Outcome, changed, load, not_found, now, page, read, require_admin
from qxo.sandbox.brand.rules import ApiError, check_connection, invalid, require_object
from qxo.sandbox.brand.seed import DATACENTER_ID, new_id
from qxo.sandbox.brand.store import dumps


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
    return page(conn, "SELECT doc FROM users ORDER BY seq", (), offset, size)


def get_user(conn: sqlite3.Connection, caller: Caller, user_id: str) -> Outcome:
    if user_id != caller.user_id:
        require_admin(caller)
    row = conn.execute("SELECT doc FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise not_found("USER_NOT_FOUND", f"user {user_id!r}")
    return read(load(row[0]))


def list_groups(conn: sqlite3.Connection, caller: Caller, offset: int, size: int):
    require_admin(caller)
    return page(conn, "SELECT doc FROM groups_ ORDER BY seq", (), offset, size)


def _group(conn: sqlite3.Connection, group_id: str) -> None:
    if conn.execute("SELECT 1 FROM groups_ WHERE id = ?", (group_id,)).fetchone() is None:
        raise not_found("GROUP_NOT_FOUND", f"group {group_id!r}")


def list_group_members(conn: sqlite3.Connection, caller: Caller, group_id: str, offset: int, size: int):
    """v3 "List Users in Group" (GET /groups/{groupId}/members): the members, as /users lists them."""
    require_admin(caller)
    _group(conn, group_id)
    return page(conn, "SELECT u.doc FROM group_members m JOIN users u ON u.id = m.user_id "
                      "WHERE m.group_id = ? ORDER BY u.seq", (group_id,), offset, size)


def add_group_member(conn: sqlite3.Connection, caller: Caller, group_id: str, body: object) -> Outcome:
    """v3 "Add User to Group" (POST /groups/{groupId}/members with {"userId"}); adding a member twice is a no-op."""
    require_admin(caller)
    _group(conn, group_id)
    body = require_object(body, ("userId",))
    user_id = body.get("userId")
    if not isinstance(user_id, str) or conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
        raise invalid("UNKNOWN_ID", "userId", "no such user in this brand")
    if conn.execute("SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?", (group_id, user_id)).fetchone():
        return read({"groupId": group_id, "userId": user_id})
    conn.execute("INSERT INTO group_members VALUES (?, ?)", (group_id, user_id))
    return changed(200, {"groupId": group_id, "userId": user_id}, None, {"groupId": group_id, "userId": user_id})


def remove_group_member(conn: sqlite3.Connection, caller: Caller, group_id: str, user_id: str) -> Outcome:
    """v3 "Remove User from Group" (DELETE /groups/{groupId}/members/{userId})."""
    require_admin(caller)
    _group(conn, group_id)
    removed = conn.execute("DELETE FROM group_members WHERE group_id = ? AND user_id = ?", (group_id, user_id))
    if not removed.rowcount:
        raise not_found("USER_NOT_FOUND", f"user {user_id!r} in group {group_id!r}")
    return changed(200, {"groupId": group_id, "userId": user_id}, {"groupId": group_id, "userId": user_id}, None)


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
        return page(conn, "SELECT doc FROM sf_connections ORDER BY seq", (), offset, size)
    _subject(conn, caller, user_id)
    return page(conn, "SELECT doc FROM sf_connections WHERE user_id = ? ORDER BY seq", (user_id,), offset, size)


def get_connection(conn: sqlite3.Connection, caller: Caller, user_id: str, connection_id: str) -> Outcome:
    _subject(conn, caller, user_id)
    return read(_connection(conn, user_id, connection_id))


def _org_free(conn: sqlite3.Connection, user_id: str, org_id: str, connection_id: str | None = None) -> None:
    row = conn.execute("SELECT id FROM sf_connections WHERE user_id = ? AND org_id = ?", (user_id, org_id)).fetchone()
    if row is not None and row[0] != connection_id:
        raise ApiError(409, "SALESFORCE_CONNECTION_EXISTS",
                       f"orgId: this user already has a connection to org {org_id} (id {row[0]})", "orgId")


def create_connection(conn: sqlite3.Connection, caller: Caller, user_id: str, body: object,
                      max_connections: int | None = None) -> Outcome:
    """Link an org for a user. No Qualtrics page states a limit on connections per user; `max_connections`
    (the sandbox's --max-salesforce-connections knob, off by default) lets tests play a brand that has one."""
    fields = check_connection(body, full=False)
    _subject(conn, caller, user_id)
    _org_free(conn, user_id, fields["orgId"])
    count = conn.execute("SELECT COUNT(*) FROM sf_connections WHERE user_id = ?", (user_id,)).fetchone()[0]
    if max_connections is not None and count >= max_connections:
        raise ApiError(409, "SALESFORCE_CONNECTION_LIMIT",
                       f"userId: this brand allows at most {max_connections} Salesforce connections per user",
                       "userId")
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
