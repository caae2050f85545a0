"""The invariants a chaos run ends with: brand state equal to the declared state, no duplicates, no leaks.

The brand is read with the admin token after faults are switched off; the declared state is the last
version of every document the run applied, so a change the operator dropped shows up as a mismatch.
Salesforce connection credentials are write-only in the brand's API, so whether a rotated refresh token
reached the brand is read from the brand sandbox's database itself.
"""

from __future__ import annotations

import base64
import collections
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from harness import GROUP, NAMESPACE, PLURALS, VERSION, BrandSandbox, Cluster


def _ids(brand: BrandSandbox) -> tuple[dict[str, str], dict[str, str]]:
    users = {u["username"]: u["id"] for u in brand.paged("/users")}
    groups = {g["name"]: g["id"] for g in brand.paged("/groups")}
    return users, groups


def _entries(access: dict[str, Any] | None) -> set[str]:
    access = access or {}
    found = {f"user:{e['id']}={e.get('access', 'User')}" for e in access.get("users") or ()}
    found |= {f"group:{e['id']}={e.get('access', 'User')}" for e in access.get("groups") or ()}
    if access.get("allUsers"):
        found.add("allUsers=User")
    return found


def _repeated_entries(access: dict[str, Any] | None) -> int:
    """Users or groups listed more than once in one access list: a grant applied twice."""
    access = access or {}
    ids = collections.Counter(f"user:{e['id']}" for e in access.get("users") or ())
    ids.update(f"group:{e['id']}" for e in access.get("groups") or ())
    return sum(count - 1 for count in ids.values() if count > 1)


def _declared_access(spec: dict[str, Any], users: dict[str, str], groups: dict[str, str]) -> set[str]:
    return _entries({"users": [{"id": users[u["user"]], "access": u.get("access", "User")}
                               for u in spec.get("users") or ()],
                     "groups": [{"id": groups[g["group"]], "access": g.get("access", "User")}
                                for g in spec.get("groups") or ()],
                     "allUsers": bool(spec.get("allUsers"))})


def brand_matches(brand: BrandSandbox, cluster: Cluster, declared: dict[tuple[str, str], dict[str, Any]]
                  ) -> dict[str, Any]:
    """Duplicates, unexpected accounts and every declared fact the brand does not hold (lost changes)."""
    users, groups = _ids(brand)
    extensions = {e["id"]: e for e in brand.paged("/brands/acme/extensions?include=domains,enablement")}
    accounts = brand.paged("/brands/acme/accounts?include=access")
    by_name = collections.Counter((a["extensionId"], a["name"]) for a in accounts)
    duplicates = sum(count - 1 for count in by_name.values() if count > 1)
    lost: list[str] = []
    installs = {d["metadata"]["name"]: d for (kind, _), d in declared.items() if kind == "ExtensionInstall"}
    for name, document in installs.items():
        spec, extension = document["spec"], extensions.get(document["spec"]["extensionId"]) or {}
        if not extension.get("installed"):
            lost.append(f"ExtensionInstall/{name}: not installed")
            continue
        if sorted(extension.get("domains") or ()) != sorted(spec.get("domains") or ()):
            lost.append(f"ExtensionInstall/{name}: domains {extension.get('domains')} != {spec.get('domains')}")
        want = sorted(groups[g] for g in spec["enablement"].get("groups") or ())
        if sorted((extension.get("enablement") or {}).get("groups") or ()) != want:
            lost.append(f"ExtensionInstall/{name}: enablement differs")
    live = {(a["extensionId"], a["name"]): a for a in accounts}
    declared_accounts: dict[str, dict[str, Any]] = {}
    for (kind, name), document in declared.items():
        if kind != "ExtensionAccount":
            continue
        extension_id = installs[document["spec"]["installRef"]["name"]]["spec"]["extensionId"]
        account = live.get((extension_id, document["spec"]["displayName"]))
        declared_accounts[name] = account or {}
        if account is None:
            lost.append(f"ExtensionAccount/{name}: missing in the brand")
    declared_names = {(installs[d["spec"]["installRef"]["name"]]["spec"]["extensionId"], d["spec"]["displayName"])
                      for (kind, _), d in declared.items() if kind == "ExtensionAccount"}
    unexpected = [f"{ext}/{name}" for ext, name in by_name if (ext, name) not in declared_names]
    for (kind, name), document in declared.items():
        if kind != "AccountGrant":
            continue
        account = declared_accounts.get(document["spec"]["accountRef"]["name"]) or {}
        if account and _entries(account.get("access")) != _declared_access(document["spec"], users, groups):
            lost.append(f"AccountGrant/{name}: access differs")
    lost += rotations_lost(cluster, declared)
    grants = sum(_repeated_entries(a.get("access")) for a in accounts)
    return {"duplicates": {"accounts": duplicates, "grants": grants}, "unexpected_accounts": unexpected,
            "lost": lost}


def rotations_lost(cluster: Cluster, declared: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    """An account whose status does not name the Secret's current resourceVersion missed a rotation."""
    lost = []
    for account in cluster.list("ExtensionAccount"):
        name = account["metadata"]["name"]
        if ("ExtensionAccount", name) not in declared:
            continue
        secret = cluster.core.read_namespaced_secret(account["spec"]["credentials"]["secretRef"]["name"], NAMESPACE)
        applied = (account.get("status") or {}).get("appliedSecret") or {}
        if applied.get("resourceVersion") != secret.metadata.resource_version:
            lost.append(f"ExtensionAccount/{name}: rotation to Secret version {secret.metadata.resource_version} "
                        f"not applied (status has {applied.get('resourceVersion')})")
    return lost


def secret_value(cluster: Cluster, name: str, key: str) -> tuple[str, str | None]:
    """A Secret's resourceVersion and the value under `key`."""
    secret = cluster.core.read_namespaced_secret(name, NAMESPACE)
    encoded = (secret.data or {}).get(key)
    return secret.metadata.resource_version, base64.b64decode(encoded).decode() if encoded else None


def _condition(status: dict[str, Any], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or ())


def link_rotations_lost(cluster: Cluster, declared: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    """A link whose status.appliedCredentials does not name its Secrets' current versions missed a rotation."""
    lost = []
    for link in cluster.list("SalesforceLink"):
        name, oauth = link["metadata"]["name"], link["spec"]["oauth"]
        if ("SalesforceLink", name) not in declared:
            continue
        client, _ = secret_value(cluster, oauth["clientSecretRef"]["name"], "client_secret")
        refresh, _ = secret_value(cluster, oauth["refreshTokenSecretRef"]["name"], "refresh_token")
        applied = (link.get("status") or {}).get("appliedCredentials")
        if applied != f"{client}/{refresh}":
            lost.append(f"SalesforceLink/{name}: credentials of Secret versions {client}/{refresh} not applied "
                        f"(status has {applied})")
    return lost


def _stored_credentials(brand_db: Path) -> dict[str, dict[str, str]]:
    with sqlite3.connect(f"file:{brand_db}?mode=ro", uri=True) as db:
        return {connection: json.loads(credentials)
                for connection, credentials in db.execute("SELECT id, credentials FROM sf_connections")}


def links_match(brand: BrandSandbox, cluster: Cluster, declared: dict[tuple[str, str], dict[str, Any]],
                brand_db: Path) -> dict[str, Any]:
    """Every link Authenticated and PreflightPassed, one brand connection per declared (owner, org), and that
    connection holding the refresh token of the Secret version the link's status names."""
    users, _ = _ids(brand)
    connections = brand.paged("/brands/acme/salesforce-connections")
    pairs = collections.Counter((c["userId"], c["orgId"]) for c in connections)
    by_pair = {(c["userId"], c["orgId"]): c for c in connections}
    stored = _stored_credentials(brand_db)
    live = {link["metadata"]["name"]: link for link in cluster.list("SalesforceLink")}
    lost, not_ready, declared_pairs = [], [], set()
    for (kind, name), document in declared.items():
        if kind != "SalesforceLink":
            continue
        status = (live.get(name) or {}).get("status") or {}
        not_ready += [f"SalesforceLink/{name}: {c} is not True" for c in ("Authenticated", "PreflightPassed")
                      if not _condition(status, c)]
        pair = (users[document["spec"]["owner"]], status.get("orgId"))
        declared_pairs.add(pair)
        connection = by_pair.get(pair)
        if connection is None:
            lost.append(f"SalesforceLink/{name}: no connection in the brand for {pair[0]} in org {pair[1]}")
            continue
        if status.get("externalId") != connection["id"]:
            lost.append(f"SalesforceLink/{name}: status.externalId {status.get('externalId')} is not the brand's "
                        f"connection {connection['id']}")
        _, refresh = secret_value(cluster, document["spec"]["oauth"]["refreshTokenSecretRef"]["name"],
                                   "refresh_token")
        if (stored.get(connection["id"]) or {}).get("refreshToken") != refresh:
            lost.append(f"SalesforceLink/{name}: the brand's connection {connection['id']} holds another refresh "
                        "token than the Secret")
    lost += link_rotations_lost(cluster, declared)
    return {"duplicates": sum(count - 1 for count in pairs.values() if count > 1),
            "unexpected": [f"{user}/{org}" for user, org in pairs if (user, org) not in declared_pairs],
            "connections": len(connections), "not_ready": not_ready, "lost": lost}


def leak_scan(values: set[str], sources: dict[str, str], patterns: tuple[re.Pattern, ...] = ()) -> list[str]:
    """Where a secret value, or a token of a shape no output should hold, occurs: `source: prefix...`
    (never the whole value)."""
    leaks = []
    for source, text in sources.items():
        for value in values:
            if value and value in text:
                leaks.append(f"{source}: {value[:6]}...")
        for pattern in patterns:
            leaks += [f"{source}: {found[:6]}..." for found in sorted(set(pattern.findall(text)) - values)]
    return leaks


def access_token_pattern(organization_id: str) -> re.Pattern:
    """Any access token the Salesforce sandbox minted (`<org id>!<random>`), seen by the run or not."""
    return re.compile(re.escape(organization_id) + r"![A-Za-z0-9_-]{20,}")


def leak_sources(cluster: Cluster, brand: BrandSandbox, operator_log: str) -> dict[str, str]:
    """Every operator log line, every Event, every status and the brand's audit log, as text."""
    events = cluster.api.sanitize_for_serialization(cluster.core.list_namespaced_event(NAMESPACE).items)
    statuses = {f"{kind}/{o['metadata']['name']}": o.get("status")
                for kind in PLURALS for o in cluster.custom.list_namespaced_custom_object(
                    GROUP, VERSION, NAMESPACE, PLURALS[kind])["items"]}
    return {"operator log": operator_log, "events": json.dumps(events), "statuses": json.dumps(statuses),
            "brand audit log": json.dumps(brand.audit())}
