"""Catalog, installations, domains and enablement: the seed's install rules, as transactions."""

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
    check_domains,
    check_enablement,
    check_written_domains,
    invalid,
    optional_bool,
    require_object,
)
from qxo.sandbox.brand.store import dumps

EXTENSION_INCLUDES = {"domains", "enablement"}


def _catalog(conn: sqlite3.Connection, extension_id: str) -> dict:
    row = conn.execute("SELECT doc FROM extensions WHERE id = ?", (extension_id,)).fetchone()
    if row is None:
        raise not_found("EXTENSION_NOT_FOUND", f"extension {extension_id!r}")
    return load(row[0])


def _installation(conn: sqlite3.Connection, extension_id: str, *, writing: bool) -> dict:
    _catalog(conn, extension_id)
    row = conn.execute("SELECT doc FROM installations WHERE extension_id = ?", (extension_id,)).fetchone()
    if row is None:
        if writing:
            raise ApiError(409, "EXTENSION_NOT_INSTALLED", f"extension {extension_id!r} is not installed")
        raise not_found("EXTENSION_NOT_INSTALLED", f"installation of {extension_id!r}")
    return load(row[0])


def installation_view(inst: dict) -> dict:
    return {k: v for k, v in inst.items() if k not in ("domains", "enablement")}


def extension_view(entry: dict, inst: dict | None, include: set[str]) -> dict:
    view = {**entry, "installed": inst is not None, "installation": installation_view(inst) if inst else None}
    if "domains" in include:
        view["domains"] = inst["domains"] if inst else None
    if "enablement" in include:
        view["enablement"] = inst["enablement"] if inst else None
    return view


def list_extensions(conn: sqlite3.Connection, caller: Caller, include: set[str], offset: int, size: int):
    return page(conn, "SELECT e.doc, i.doc FROM extensions e LEFT JOIN installations i ON i.extension_id = e.id "
                      "ORDER BY e.seq", (), offset, size,
                lambda row: extension_view(load(row[0]), load(row[1]), include))


def install(conn: sqlite3.Connection, caller: Caller, extension_id: str, body: object) -> Outcome:
    entry = _catalog(conn, extension_id)
    body = require_object(body, ("acceptTerms", "previewOptIn"))
    accept, opt_in = optional_bool(body, "acceptTerms"), optional_bool(body, "previewOptIn")
    if not entry["firstParty"] and not accept:
        raise invalid("TERMS_NOT_ACCEPTED", "acceptTerms",
                      f"{entry['name']} is a third-party extension by {entry['publisher']}: "
                      f"accept its terms of use ({entry['termsUrl']}) and privacy policy first")
    if entry["preview"] and not opt_in:
        raise invalid("PREVIEW_OPT_IN_REQUIRED", "previewOptIn",
                      f"{entry['name']} is a Preview extension (not certified by Qualtrics): opt in to install it")
    row = conn.execute("SELECT doc FROM installations WHERE extension_id = ?", (extension_id,)).fetchone()
    if row is not None:
        return Outcome(200, installation_view(load(row[0])))
    at = now()
    terms = None if entry["firstParty"] else {
        "acceptedBy": caller.user_id, "acceptedAt": at,
        "termsUrl": entry["termsUrl"], "privacyPolicyUrl": entry["privacyPolicyUrl"]}
    inst = {"extensionId": extension_id, "installedAt": at, "installedBy": caller.user_id,
            "termsAcceptance": terms, "previewOptIn": bool(entry["preview"] and opt_in),
            "domains": list(entry["defaultDomains"]), "enablement": {"allUsers": False, "users": [], "groups": []}}
    conn.execute("INSERT INTO installations VALUES (?, ?)", (extension_id, dumps(inst)))
    return changed(201, installation_view(inst), None, inst)


def uninstall(conn: sqlite3.Connection, caller: Caller, extension_id: str) -> Outcome:
    """Uninstalling revokes all access: enablement, domains and every account of the extension go."""
    inst = _installation(conn, extension_id, writing=False)
    accounts = [load(r[0]) for r in conn.execute("SELECT doc FROM accounts WHERE extension_id = ?", (extension_id,))]
    conn.execute("DELETE FROM accounts WHERE extension_id = ?", (extension_id,))
    conn.execute("DELETE FROM installations WHERE extension_id = ?", (extension_id,))
    result = {"extensionId": extension_id, "installed": False, "accountsDeleted": len(accounts)}
    return changed(200, result, {"installation": inst, "accounts": accounts}, None)


def get_domains(conn: sqlite3.Connection, caller: Caller, extension_id: str) -> Outcome:
    inst = _installation(conn, extension_id, writing=False)
    return read(_domains_view(extension_id, inst["domains"]))


def _domains_view(extension_id: str, domains: list[str]) -> dict:
    # An empty list is meaningful: the extension can reach no domain at all.
    return {"extensionId": extension_id, "domains": domains, "reachesNothing": not domains}


def put_domains(conn: sqlite3.Connection, caller: Caller, extension_id: str, body: object) -> Outcome:
    entry = _catalog(conn, extension_id)
    domains = check_domains(body)
    inst = _installation(conn, extension_id, writing=True)
    if domains == inst["domains"]:
        return Outcome(200, _domains_view(extension_id, domains))
    if not entry["domainsEditable"]:
        raise invalid("DOMAINS_NOT_EDITABLE", "domains",
                      f"{entry['name']} does not allow domain edits; its domains stay {inst['domains']}")
    check_written_domains(domains)
    after = {**inst, "domains": domains}
    conn.execute("UPDATE installations SET doc = ? WHERE extension_id = ?", (dumps(after), extension_id))
    return changed(200, _domains_view(extension_id, domains), inst["domains"], domains)


def get_enablement(conn: sqlite3.Connection, caller: Caller, extension_id: str) -> Outcome:
    return read(_installation(conn, extension_id, writing=False)["enablement"])


def put_enablement(conn: sqlite3.Connection, caller: Caller, extension_id: str, body: object) -> Outcome:
    enablement = check_enablement(body, user_ids(conn), group_ids(conn))
    inst = _installation(conn, extension_id, writing=True)
    if enablement == inst["enablement"]:
        return Outcome(200, enablement)
    conn.execute("UPDATE installations SET doc = ? WHERE extension_id = ?",
                 (dumps({**inst, "enablement": enablement}), extension_id))
    return changed(200, enablement, inst["enablement"], enablement)
