"""The seed's rules as pure checks: each refusal is an ApiError naming the field at fault.

Error messages never echo a submitted credential value, only field names.
"""

from __future__ import annotations

import re
from typing import Any

from qxo.api.suffixes import wildcard_reach_problem


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def invalid(code: str, field: str, message: str) -> ApiError:
    return ApiError(400, code, f"{field}: {message}", field)


MAX_DOMAINS = 100
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DOMAIN = re.compile(r"^https://(?P<host>[^/:?#@\s]+)(?::(?P<port>[^/?#\s]*))?/?$", re.IGNORECASE)


def domain_problem(value: Any) -> str | None:
    """Why `value` is not an allowed domain (https origin; `*` only as a whole leftmost label or port)."""
    if not isinstance(value, str):
        return "must be a string"
    if len(value) > 300:
        return "is too long"
    if not value.lower().startswith("https://"):
        return "must start with https:// (only https is allowed)"
    match = _DOMAIN.match(value)
    if not match:
        return "must be https://host[:port] with no path, query, fragment or user info"
    labels = match["host"].lower().split(".")
    if labels[0] == "*":
        if len(labels) < 3:
            return "a * wildcard needs at least two labels after it (e.g. https://*.example.com)"
        labels = labels[1:]
    elif len(labels) < 2:
        return "host must have at least two labels"
    if any(not _LABEL.match(label) for label in labels):
        return "* may only be a whole leftmost label; other labels must be letters, digits or hyphens"
    port = match["port"]
    if port is not None and port != "*" and not (port.isdigit() and 1 <= int(port) <= 65535):
        return "port must be a number from 1 to 65535 or *"
    return None


def check_written_domains(domains: list[str]) -> None:
    """A domain list someone writes must not reach other owners' hosts.

    Qualtrics does not publish how it judges a domain; the sandbox holds the rule certificate
    authorities follow for wildcards (CA/Browser Forum Baseline Requirements, wildcard domain
    validation; Ballot 96: https://cabforum.org/2013/02/20/ballot-96-wildcard-certificates-and-new-gtlds/)
    over the Public Suffix List (https://publicsuffix.org/), as qxo does: *.co.uk or *.amazonaws.com
    would open an extension to every owner under the suffix, whoever writes the list.
    """
    for i, value in enumerate(domains):
        problem = wildcard_reach_problem(value)
        if problem:
            raise invalid("INVALID_DOMAIN", f"domains[{i}]", problem)


def normalize_domain(value: str) -> str:
    return value.lower().rstrip("/")


def check_domains(body: Any) -> list[str]:
    body = require_object(body, ("domains",))
    domains = body.get("domains")
    if not isinstance(domains, list):
        raise invalid("INVALID_DOMAINS", "domains", "must be a list of https origins")
    if len(domains) > MAX_DOMAINS:
        raise invalid("TOO_MANY_DOMAINS", "domains", f"at most {MAX_DOMAINS} domains")
    seen: list[str] = []
    for i, value in enumerate(domains):
        problem = domain_problem(value)
        if problem:
            raise invalid("INVALID_DOMAIN", f"domains[{i}]", problem)
        if normalize_domain(value) in seen:
            raise invalid("DUPLICATE_DOMAIN", f"domains[{i}]", "appears twice")
        seen.append(normalize_domain(value))
    return seen


def require_object(body: Any, allowed: tuple[str, ...]) -> dict:
    if not isinstance(body, dict):
        raise invalid("INVALID_BODY", "body", "must be a JSON object")
    for key in body:
        if key not in allowed:
            raise invalid("UNKNOWN_FIELD", str(key), f"unknown field (allowed: {', '.join(allowed)})")
    return body


def optional_bool(body: dict, field: str) -> bool:
    value = body.get(field, False)
    if not isinstance(value, bool):
        raise invalid("INVALID_FIELD", field, "must be true or false")
    return value


def id_list(body: dict, field: str, known: set[str]) -> list[str]:
    values = body.get(field, [])
    if not isinstance(values, list):
        raise invalid("INVALID_FIELD", field, "must be a list of ids")
    for i, value in enumerate(values):
        if not isinstance(value, str) or value not in known:
            raise invalid("UNKNOWN_ID", f"{field}[{i}]", "no such user or group in this brand")
        if value in values[:i]:
            raise invalid("DUPLICATE_ENTRY", f"{field}[{i}]", "appears twice")
    return values


def check_enablement(body: Any, users: set[str], groups: set[str]) -> dict:
    body = require_object(body, ("allUsers", "users", "groups"))
    return {"allUsers": optional_bool(body, "allUsers"), "users": id_list(body, "users", users),
            "groups": id_list(body, "groups", groups)}


def access_entries(body: dict, field: str, known: set[str]) -> list[dict]:
    entries = body.get(field, [])
    if not isinstance(entries, list):
        raise invalid("INVALID_FIELD", field, "must be a list of {id, access}")
    result: list[dict] = []
    for i, entry in enumerate(entries):
        where = f"{field}[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"id", "access"}:
            raise invalid("INVALID_FIELD", where, "must be an object with id and access")
        if not isinstance(entry.get("id"), str) or entry["id"] not in known:
            raise invalid("UNKNOWN_ID", f"{where}.id", "no such user or group in this brand")
        if entry.get("access", "User") not in ("User", "Owner"):
            raise invalid("INVALID_ACCESS", f"{where}.access", "must be User or Owner")
        if any(r["id"] == entry["id"] for r in result):
            raise invalid("DUPLICATE_ENTRY", f"{where}.id", "appears twice")
        result.append({"id": entry["id"], "access": entry.get("access", "User")})
    return result


def check_access(body: Any, users: set[str], groups: set[str]) -> dict:
    body = require_object(body, ("allUsers", "allUsersAccess", "users", "groups"))
    all_users = optional_bool(body, "allUsers")
    level = body.get("allUsersAccess", "User")
    if level == "Owner":
        raise invalid("OWNER_ACCESS_FOR_ALL_USERS", "allUsersAccess",
                      "owner access cannot be granted to all users; grant it to users or groups")
    if level != "User":
        raise invalid("INVALID_ACCESS", "allUsersAccess", "must be User")
    return {"allUsers": all_users, "users": access_entries(body, "users", users),
            "groups": access_entries(body, "groups", groups)}


def check_name(body: dict, field: str = "name", limit: int = 200) -> str:
    name = body.get(field)
    if not isinstance(name, str) or not name.strip() or len(name) > limit:
        raise invalid("INVALID_NAME", field, f"must be a non-empty string of at most {limit} characters")
    return name


def check_credentials(body: dict, required: bool) -> dict[str, str] | None:
    if "credentials" not in body and not required:
        return None
    creds = body.get("credentials")
    if not isinstance(creds, dict) or (required and not creds) or len(creds) > 50:
        raise invalid("INVALID_CREDENTIALS", "credentials", "must be an object of 1 to 50 string values")
    for key, value in creds.items():
        if not isinstance(value, str) or len(key) > 100 or len(value) > 10_000:
            raise invalid("INVALID_CREDENTIALS", f"credentials.{key[:100]}", "must be a string")
    return creds


_ORG_ID = re.compile(r"^00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")
_INSTANCE = re.compile(r"^https://[a-z0-9.-]+(?::\d{1,5})?/?$", re.IGNORECASE)


def check_connection(body: Any, *, full: bool) -> dict:
    fields = ("name", "environment", "instanceUrl", "orgId", "credentials", "tokenStatus")
    body = require_object(body, fields if full else fields[:5])
    if body.get("environment") not in ("Production", "Sandbox"):
        raise invalid("INVALID_ENVIRONMENT", "environment", "must be Production or Sandbox")
    url = body.get("instanceUrl")
    if not isinstance(url, str) or not _INSTANCE.match(url):
        raise invalid("INVALID_INSTANCE_URL", "instanceUrl", "must be an https URL of a Salesforce instance")
    if not isinstance(body.get("orgId"), str) or not _ORG_ID.match(body["orgId"]):
        raise invalid("INVALID_ORG_ID", "orgId", "must be a Salesforce organization id (00D...)")
    status = body.get("tokenStatus", "Valid")
    if status not in ("Valid", "Expired", "Revoked"):
        raise invalid("INVALID_TOKEN_STATUS", "tokenStatus", "must be Valid, Expired or Revoked")
    return {"name": check_name(body, limit=100), "environment": body["environment"],
            "instanceUrl": url.rstrip("/"), "orgId": body["orgId"], "tokenStatus": status,
            "credentials": check_credentials(body, required=False)}
