"""The invariants a chaos run ends with: brand state equal to the declared state, no duplicates, no leaks.

The brand is read with the admin token after faults are switched off; the declared state is the last
version of every document the run applied, so a change the operator dropped shows up as a mismatch.
"""

from __future__ import annotations

import collections
import json
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
    return {"duplicates": duplicates, "unexpected_accounts": unexpected, "lost": lost}


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


def leak_scan(values: set[str], sources: dict[str, str]) -> list[str]:
    """Where a secret value occurs: `source: value prefix` (never the whole value)."""
    leaks = []
    for source, text in sources.items():
        for value in values:
            if value and value in text:
                leaks.append(f"{source}: {value[:6]}...")
    return leaks


def leak_sources(cluster: Cluster, brand: BrandSandbox, operator_log: str) -> dict[str, str]:
    """Every operator log line, every Event, every status and the brand's audit log, as text."""
    events = cluster.api.sanitize_for_serialization(cluster.core.list_namespaced_event(NAMESPACE).items)
    statuses = {f"{kind}/{o['metadata']['name']}": o.get("status")
                for kind in PLURALS for o in cluster.custom.list_namespaced_custom_object(
                    GROUP, VERSION, NAMESPACE, PLURALS[kind])["items"]}
    return {"operator log": operator_log, "events": json.dumps(events), "statuses": json.dumps(statuses),
            "brand audit log": json.dumps(brand.audit())}
