"""The SOQL subset the preflight issues, parsed honestly, evaluated against the sandbox org's tables.

Grammar: SELECT field[, field]* FROM Object [WHERE cond [AND cond]*] [LIMIT n], where cond is
`Field = literal` or `Field IN (literal, ...)` and a literal is a quoted string, true, false,
null or a number. Anything else is MALFORMED_QUERY, as Salesforce would say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qxo.sandbox.salesforce.org import FIELD_FLAGS, OBJECT_FLAGS, USER_FLAGS, user_permission_sets


class SoqlError(Exception):
    def __init__(self, error_code: str, message: str):
        super().__init__(message)
        self.error_code = error_code
        self.message = message


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][\w.]*)|(?P<sym>[(),=]))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token near '{text[pos : pos + 20]}'")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


@dataclass
class Query:
    fields: list[str]
    sobject: str
    where: list[tuple[str, list]]
    limit: int | None


def _literal(kind: str, value: str):
    if kind == "str":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if kind == "num":
        return float(value) if "." in value else int(value)
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{value}'")


def parse(text: str) -> Query:
    tokens = _tokens(text)
    pos = 0

    def take(kind: str | None = None, word: str | None = None) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query")
        k, v = tokens[pos]
        if (kind and k != kind) or (word and v.upper() != word):
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{v}'")
        pos += 1
        return v

    def peek(word: str) -> bool:
        return pos < len(tokens) and tokens[pos][0] == "word" and tokens[pos][1].upper() == word

    take("word", "SELECT")
    fields = [take("word")]
    while pos < len(tokens) and tokens[pos] == ("sym", ","):
        pos += 1
        fields.append(take("word"))
    take("word", "FROM")
    sobject = take("word")
    where: list[tuple[str, list]] = []
    if peek("WHERE"):
        pos += 1
        while True:
            name = take("word")
            if peek("IN"):
                pos += 1
                take("sym")  # "("
                values = []
                while True:
                    kind, value = tokens[pos] if pos < len(tokens) else ("", "")
                    pos += 1
                    values.append(_literal(kind, value))
                    closing = take("sym")
                    if closing == ")":
                        break
                    if closing != ",":
                        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{closing}'")
            else:
                if take("sym") != "=":
                    raise SoqlError("MALFORMED_QUERY", "only = and IN are supported in WHERE")
                kind, value = tokens[pos] if pos < len(tokens) else ("", "")
                pos += 1
                values = [_literal(kind, value)]
            where.append((name, values))
            if not peek("AND"):
                break
            pos += 1
    limit = None
    if peek("LIMIT"):
        pos += 1
        limit = int(take("num"))
    if pos != len(tokens):
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tokens[pos][1]}'")
    return Query(fields, sobject, where, limit)


def _rows(org: dict, sobject: str) -> list[dict]:
    user, profiles, sets = org["user"], org["profiles"], org["permissionSets"]
    if sobject == "User":
        return [
            {
                "Id": user["id"],
                "Username": user["username"],
                "Name": user.get("name", ""),
                "ProfileId": profiles[user["profile"]]["id"],
                "IsActive": True,
            }
        ]
    if sobject == "Profile":
        return [{"Id": p["id"], "Name": name} for name, p in profiles.items()]
    if sobject == "PermissionSet":
        return [
            {
                "Id": ps["id"],
                "Name": name,
                "Label": ps.get("label", name),
                "IsOwnedByProfile": "profile" in ps,
                "ProfileId": profiles[ps["profile"]]["id"] if ps.get("profile") in profiles else None,
                **{f"Permissions{f}": bool(ps.get("userPermissions", {}).get(f)) for f in USER_FLAGS},
            }
            for name, ps in sets.items()
        ]
    if sobject == "PermissionSetAssignment":
        return [
            {"Id": f"0Pa{ps['id'][3:]}", "AssigneeId": user["id"], "PermissionSetId": ps["id"]}
            for _, ps in user_permission_sets(org)
        ]
    if sobject == "ObjectPermissions":
        return [
            {
                "Id": f"110{ps['id'][3:12]}{obj[:6]}",
                "ParentId": ps["id"],
                "SobjectType": obj,
                **{f"Permissions{f}": bool(flags.get(f)) for f in OBJECT_FLAGS},
            }
            for ps in sets.values()
            for obj, flags in ps.get("objectPermissions", {}).items()
        ]
    if sobject == "FieldPermissions":
        return [
            {
                "Id": f"01k{ps['id'][3:12]}{field[:6]}",
                "ParentId": ps["id"],
                "SobjectType": field.split(".")[0],
                "Field": field,
                **{f"Permissions{f}": bool(flags.get(f)) for f in FIELD_FLAGS},
            }
            for ps in sets.values()
            for field, flags in ps.get("fieldPermissions", {}).items()
        ]
    if sobject == "LoginIpRange":
        return [
            {
                "Id": f"0Lr{p['id'][3:]}{i}",
                "ProfileId": p["id"],
                "StartAddress": r["start"],
                "EndAddress": r["end"],
                "Description": r.get("description"),
            }
            for p in profiles.values()
            for i, r in enumerate(p.get("loginIpRanges", []))
        ]
    if sobject == "RecordType":
        return [
            {
                "Id": rt["id"],
                "Name": rt.get("name", key),
                "DeveloperName": key.split(".", 1)[1],
                "SobjectType": key.split(".", 1)[0],
                "IsActive": bool(rt.get("active", True)),
            }
            for key, rt in org["recordTypes"].items()
        ]
    if sobject == "ConnectedApplication":
        return [
            {
                "Id": app["id"],
                "Name": name,
                "OptionsAllowAdminApprovedUsersOnly": bool(app.get("optionsAllowAdminApprovedUsersOnly")),
                "RefreshTokenValidityPeriod": app.get("refreshTokenValidityPeriod"),
                "OptionsRefreshTokenValidityMetric": bool(app.get("optionsRefreshTokenValidityMetric")),
            }
            for name, app in org["connectedApps"].items()
        ]
    if sobject == "Organization":
        return [
            {
                "Id": org["organizationId"],
                "Name": org.get("organizationName", ""),
                "IsSandbox": bool(org.get("isSandbox")),
            }
        ]
    raise KeyError(sobject)


# Setup objects the integration user reads only with View Setup and Configuration.
NEEDS_VIEW_SETUP = {
    "PermissionSet",
    "PermissionSetAssignment",
    "ObjectPermissions",
    "FieldPermissions",
    "LoginIpRange",
    "ConnectedApplication",
}
KNOWN = ("User", "Profile", *sorted(NEEDS_VIEW_SETUP), "RecordType", "Organization")


def execute(org: dict, text: str, can_view_setup: bool) -> list[dict]:
    query = parse(text)
    sobject = next((k for k in KNOWN if k.lower() == query.sobject.lower()), None)
    if sobject is None or (sobject in NEEDS_VIEW_SETUP and not can_view_setup):
        raise SoqlError("INVALID_TYPE", f"sObject type '{query.sobject}' is not supported.")
    rows = _rows(org, sobject)
    columns = {c.lower(): c for c in (rows[0] if rows else _rows_template(org, sobject))}

    def column(name: str) -> str:
        if name.lower() not in columns:
            raise SoqlError("INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'.")
        return columns[name.lower()]

    selected = [column(f) for f in query.fields]
    filters = [(column(name), values) for name, values in query.where]
    matched = [r for r in rows if all(r[c] in values for c, values in filters)]
    if query.limit is not None:
        matched = matched[: query.limit]
    return [{"attributes": {"type": sobject}, **{c: r[c] for c in selected}} for r in matched]


def _rows_template(org: dict, sobject: str) -> dict:
    # An empty table still knows its columns: build one row from a throwaway org entry.
    probe_range = {"start": "192.0.2.0", "end": "192.0.2.255"}
    probe = {
        **org,
        "profiles": {"p": {"id": "00e000000000000AAA", "loginIpRanges": [probe_range]}},
        "permissionSets": {
            "p": {
                "id": "0PS000000000000AAA",
                "profile": "p",
                "objectPermissions": {"X": {}},
                "fieldPermissions": {"X.Y": {}},
            }
        },
        "recordTypes": {"X.Y": {"id": "012000000000000AAA"}},
        "connectedApps": {"p": {"id": "0H4000000000000AAA"}},
        "user": {**org["user"], "profile": "p", "permissionSets": []},
    }
    return _rows(probe, sobject)[0]
