"""Extension accounts and who may use them: write-only credentials, owners, unique names."""

from __future__ import annotations

import sqlite3

from qxo.sandbox.brand.common import (
    Caller,
    Outcome,
    changed,
    group_ids,
    load,
    not_found,
    now,
    page,
    read,
    user_ids,
)
from qxo.sandbox.brand.rules import (
    ApiError,
    check_access,
    check_credentials,
    check_name,
    invalid,
    require_object,
)
from qxo.sandbox.brand.seed import new_id
from qxo.sandbox.brand.state_extensions import _installation
from qxo.sandbox.brand.store import dumps

ACCOUNT_INCLUDES = {"access"}


def account_view(doc: dict, include_access: bool = True) -> dict:
    """The public face of an account: never its credentials, only their key names."""
    owners = [doc["creatorId"]]
    owners += [u["id"] for u in doc["access"]["users"] if u["access"] == "Owner" and u["id"] not in owners]
    view = {k: v for k, v in doc.items() if k != "access"}
    view["owners"] = owners
    if include_access:
        view["access"] = doc["access"]
    return view


def _account(conn: sqlite3.Connection, account_id: str, extension_id: str | None = None) -> dict:
    row = conn.execute("SELECT doc FROM accounts WHERE id = ?", (account_id,)).fetchone()
    if row is None or (extension_id is not None and load(row[0])["extensionId"] != extension_id):
        raise not_found("ACCOUNT_NOT_FOUND", f"account {account_id!r}")
    return load(row[0])


def _require_owner(conn: sqlite3.Connection, caller: Caller, doc: dict) -> None:
    """Only an owner (directly or through a group) or the creator may manage an account."""
    if caller.user_id == doc["creatorId"]:
        return
    access = doc["access"]
    if any(u["id"] == caller.user_id and u["access"] == "Owner" for u in access["users"]):
        return
    owner_groups = {g["id"] for g in access["groups"] if g["access"] == "Owner"}
    if owner_groups:
        member_of = {r[0] for r in conn.execute("SELECT group_id FROM group_members WHERE user_id = ?",
                                                (caller.user_id,))}
        if owner_groups & member_of:
            return
    raise ApiError(403, "NOT_ACCOUNT_OWNER",
                   "only an owner or the creator of this account may change its access, credentials or delete it")


def _name_free(conn: sqlite3.Connection, extension_id: str, name: str, account_id: str | None = None) -> None:
    row = conn.execute("SELECT id FROM accounts WHERE extension_id = ? AND name = ?", (extension_id, name)).fetchone()
    if row is not None and row[0] != account_id:
        raise ApiError(409, "ACCOUNT_NAME_TAKEN", f"name: an account named {name!r} already exists for "
                       f"{extension_id!r} (id {row[0]})", "name")


def list_accounts(conn: sqlite3.Connection, caller: Caller, extension_id: str | None, include: set[str],
                  offset: int, size: int):
    if extension_id is not None:
        _installation(conn, extension_id, writing=False)
        sql, args = "SELECT doc FROM accounts WHERE extension_id = ? ORDER BY seq", (extension_id,)
    else:
        sql, args = "SELECT doc FROM accounts ORDER BY seq", ()
    return page(conn, sql, args, offset, size, lambda row: account_view(load(row[0]), "access" in include))


def get_account(conn: sqlite3.Connection, caller: Caller, account_id: str, extension_id: str | None,
                include: set[str]) -> Outcome:
    return read(account_view(_account(conn, account_id, extension_id), "access" in include))


def create_account(conn: sqlite3.Connection, caller: Caller, extension_id: str, body: object) -> Outcome:
    body = require_object(body, ("name", "credentials"))
    name = check_name(body)
    credentials = check_credentials(body, required=True)
    _installation(conn, extension_id, writing=True)
    _name_free(conn, extension_id, name)
    at = now()
    doc = {"id": new_id("EA_"), "extensionId": extension_id, "name": name, "creatorId": caller.user_id,
           "createdAt": at, "updatedAt": at, "credentialsUpdatedAt": at, "credentialKeys": sorted(credentials),
           "access": {"allUsers": False, "users": [], "groups": []}}
    conn.execute("INSERT INTO accounts (id, extension_id, name, doc, credentials) VALUES (?, ?, ?, ?, ?)",
                 (doc["id"], extension_id, name, dumps(doc), dumps(credentials)))
    return changed(201, account_view(doc), None, account_view(doc))


def update_account(conn: sqlite3.Connection, caller: Caller, account_id: str, extension_id: str | None,
                   body: object) -> Outcome:
    body = require_object(body, ("name", "credentials"))
    name = check_name(body) if "name" in body else None
    credentials = check_credentials(body, required=False)
    doc = _account(conn, account_id, extension_id)
    _require_owner(conn, caller, doc)
    stored = load(conn.execute("SELECT credentials FROM accounts WHERE id = ?", (account_id,)).fetchone()[0])
    after, at = dict(doc), now()
    if name is not None and name != doc["name"]:
        _name_free(conn, doc["extensionId"], name, account_id)
        after["name"] = name
    if credentials is not None and credentials != stored:
        after.update(credentialsUpdatedAt=at, credentialKeys=sorted(credentials))
        stored = credentials
    if after == doc:  # same name, same credentials: nothing to write
        return Outcome(200, account_view(doc))
    after["updatedAt"] = at
    conn.execute("UPDATE accounts SET name = ?, doc = ?, credentials = ? WHERE id = ?",
                 (after["name"], dumps(after), dumps(stored), account_id))
    return changed(200, account_view(after), account_view(doc), account_view(after))


def delete_account(conn: sqlite3.Connection, caller: Caller, account_id: str, extension_id: str | None) -> Outcome:
    doc = _account(conn, account_id, extension_id)
    _require_owner(conn, caller, doc)
    conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
    return changed(200, {"id": account_id, "deleted": True}, account_view(doc), None)


def get_access(conn: sqlite3.Connection, caller: Caller, account_id: str) -> Outcome:
    return read(_account(conn, account_id)["access"])


def _owners_are_admins(conn: sqlite3.Connection, access: dict) -> None:
    """The seed: ownership of an account is given to other Brand Administrators."""
    for i, entry in enumerate(access["users"]):
        if entry["access"] != "Owner":
            continue
        row = conn.execute("SELECT is_admin, username FROM users WHERE id = ?", (entry["id"],)).fetchone()
        if not row[0]:
            raise invalid("OWNER_NOT_BRAND_ADMIN", f"users[{i}].access",
                          f"owner access is for Brand Administrators; {row[1]} is not one")


def put_access(conn: sqlite3.Connection, caller: Caller, account_id: str, body: object) -> Outcome:
    access = check_access(body, user_ids(conn), group_ids(conn))
    _owners_are_admins(conn, access)
    doc = _account(conn, account_id)
    _require_owner(conn, caller, doc)
    if access == doc["access"]:
        return Outcome(200, access)
    after = {**doc, "access": access, "updatedAt": now()}
    conn.execute("UPDATE accounts SET doc = ? WHERE id = ?", (dumps(after), account_id))
    return changed(200, access, doc["access"], access)
