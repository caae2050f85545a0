"""What the demo knows of each qxo resource: its conditions now, when it first converged, what it cost.

The tracker polls the cluster (five list calls) and remembers every resource it has seen, also
after it is deleted, so the closing table can still say what a deleted resource cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from qxo.demo.cluster import KINDS, Cluster

ORDER = {kind: i for i, kind in enumerate(KINDS)}


@dataclass
class Resource:
    kind: str
    name: str
    namespace: str
    body: dict[str, Any]
    seen_at: float
    ready_at: float | None = None
    status_at: float | None = None
    deleted: bool = False
    writes: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)

    @property
    def conditions(self) -> list[dict[str, Any]]:
        return list((self.body.get("status") or {}).get("conditions") or ())

    def condition(self, type_: str) -> dict[str, Any] | None:
        return next((c for c in self.conditions if c.get("type") == type_), None)

    @property
    def current(self) -> bool:
        """The status speaks of the current spec (observedGeneration caught up with generation)."""
        status = self.body.get("status") or {}
        return status.get("observedGeneration") == self.body["metadata"].get("generation")

    @property
    def ready(self) -> bool:
        ready = self.condition("Ready")
        return bool(ready and ready.get("status") == "True" and self.current and not self.deleted)

    @property
    def has_status(self) -> bool:
        return bool(self.conditions)

    def summary(self) -> tuple[str, str, str]:
        """(Ready, Synced, why) for one line of the table."""
        ready, synced = self.condition("Ready"), self.condition("Synced")
        if self.deleted:
            return ("-", "-", "deleted")
        if ready is None:
            return ("?", "?", "no status yet")
        why = ready.get("reason", "")
        if ready.get("status") != "True" and ready.get("message"):
            why = f"{why}: {ready['message']}"
        return (ready.get("status", "?"), (synced or {}).get("status", "?"), why)

    def converge_seconds(self, since: float) -> float | None:
        return None if self.ready_at is None else round(self.ready_at - max(since, 0.0), 2)


@dataclass
class Tracker:
    cluster: Cluster
    resources: dict[tuple[str, str], Resource] = field(default_factory=dict)

    def refresh(self) -> list[Resource]:
        """Poll every kind; returns the resources whose (Ready, Synced, why) changed since the last poll."""
        now = time.monotonic()
        changed = []
        present = set()
        for kind in KINDS:
            for body in self.cluster.list(kind):
                key = (kind, body["metadata"]["name"])
                present.add(key)
                resource = self.resources.get(key)
                before = resource.summary() if resource else None
                if resource is None:
                    resource = self.resources[key] = Resource(kind, key[1], body["metadata"]["namespace"], body, now)
                resource.body = body
                if resource.has_status and resource.status_at is None:
                    resource.status_at = now
                if resource.ready and resource.ready_at is None:
                    resource.ready_at = now
                if resource.summary() != before:
                    changed.append(resource)
        for key, resource in self.resources.items():
            if key not in present and not resource.deleted:
                resource.deleted = True
                changed.append(resource)
        return changed

    def ordered(self, *, include_deleted: bool = True) -> list[Resource]:
        chosen = [r for r in self.resources.values() if include_deleted or not r.deleted]
        return sorted(chosen, key=lambda r: (ORDER[r.kind], r.name))

    def of_kind(self, kind: str) -> list[Resource]:
        return [r for r in self.ordered(include_deleted=False) if r.kind == kind]

    def get(self, kind: str, name: str) -> Resource | None:
        return self.resources.get((kind, name))

    def attribute(self, entry: dict[str, Any]) -> Resource | None:
        """The resource an operator write to the brand was made for, from its path (see docs/demo.md)."""
        parts = entry["path"].strip("/").split("/")
        if "salesforce-connections" in parts:
            i = parts.index("salesforce-connections")
            connection_id = parts[i + 1] if len(parts) > i + 1 else (entry.get("after") or {}).get("id")
            return next((r for r in self.resources.values() if r.kind == "SalesforceLink" and connection_id
                         and (r.body.get("status") or {}).get("externalId") == connection_id), None)
        if "extensions" in parts:
            i = parts.index("extensions")
            extension_id, rest = parts[i + 1], parts[i + 2:]
            if rest and rest[0] == "accounts":
                return self._account(rest[1] if len(rest) > 1 else (entry.get("after") or {}).get("id"))
            return next((r for r in self.resources.values() if r.kind == "ExtensionInstall"
                         and (r.body.get("spec") or {}).get("extensionId") == extension_id), None)
        if "accounts" in parts:
            i = parts.index("accounts")
            account_id = parts[i + 1] if len(parts) > i + 1 else None
            if parts[i + 2:i + 3] == ["access"]:
                account = self._account(account_id)
                return next((r for r in self.resources.values() if r.kind == "AccountGrant" and account
                             and (r.body.get("spec") or {}).get("accountRef", {}).get("name") == account.name), None)
            return self._account(account_id)
        return None

    def _account(self, account_id: str | None) -> Resource | None:
        if not account_id:
            return None
        return next((r for r in self.resources.values() if r.kind == "ExtensionAccount"
                     and (r.body.get("status") or {}).get("externalId") == account_id), None)
