"""Garbage collection by ownerReferences, as Kubernetes' garbage collector does it with background cascading
deletion (https://kubernetes.io/docs/concepts/architecture/garbage-collection/), for the Store to mix in.

An object none of whose owners exists is deleted (finalizers honoured), whether its last owner just went or
it was written naming owners that do not exist; an object some of whose owners are gone loses the references
to them. The real collector acts within moments, this one at once. An index from owner uid to dependents keeps
the work of a delete O(dependents), never a scan of the store.
"""

from __future__ import annotations

import json
from typing import Any

from qxo.sandbox.kube.watch import Change


def owner_uids(obj: dict[str, Any] | None) -> set[str]:
    refs = ((obj or {}).get("metadata") or {}).get("ownerReferences") or ()
    return {ref["uid"] for ref in refs if isinstance(ref, dict) and isinstance(ref.get("uid"), str)}


class GarbageCollection:
    """The collector's part of the Store: `uids` stored, and owner uid -> (storage key, namespace, name)."""

    uids: set[str]
    dependents: dict[str, set[tuple[str, str, str]]]
    data: dict[str, dict[str, dict[str, dict[str, Any]]]]
    hub: Any
    rv: int

    def _next_rv(self) -> str:
        raise NotImplementedError

    def _delete_stored(self, key: str, namespace: str, obj: dict[str, Any]) -> None:
        raise NotImplementedError

    def _maybe_finish_namespace(self, namespace: str) -> None:
        raise NotImplementedError

    def _link_owners(self, key: str, new: dict[str, Any], old: dict[str, Any] | None) -> None:
        """Keep the owner -> dependents index current for one written object, and collect it if its owners
        are (partly) absent, as the collector does with every object it sees added or updated."""
        before, after = owner_uids(old), owner_uids(new)
        if before == after:
            return
        meta = new["metadata"]
        namespace = meta.get("namespace", "")
        entry = (key, namespace, meta["name"])
        for uid in before - after:
            self.dependents.get(uid, set()).discard(entry)
        for uid in after - before:
            self.dependents.setdefault(uid, set()).add(entry)
        self._collect_dependent(key, namespace, new)

    def _collect_dependent(self, key: str, namespace: str, dependent: dict[str, Any]) -> None:
        owners = owner_uids(dependent)
        if not owners or owners <= self.uids:
            return
        if owners & self.uids:
            self._drop_dangling_owners(key, namespace, dependent)  # another owner still holds it
            return
        self._delete_stored(key, namespace, dependent)
        self._maybe_finish_namespace(namespace)

    def _collect_garbage(self, key: str, gone: dict[str, Any]) -> None:
        """`gone` left the store: forget it, and collect its dependents."""
        meta = gone["metadata"]
        self.uids.discard(meta.get("uid"))
        entry = (key, meta.get("namespace", ""), meta["name"])
        for uid in owner_uids(gone):
            self.dependents.get(uid, set()).discard(entry)
        for dep_key, namespace, name in sorted(self.dependents.pop(meta.get("uid"), set())):
            dependent = self.data.get(dep_key, {}).get(namespace, {}).get(name)
            if dependent is not None:
                self._collect_dependent(dep_key, namespace, dependent)

    def _drop_dangling_owners(self, key: str, namespace: str, obj: dict[str, Any]) -> None:
        """What the collector does to a dependent some of whose owners are gone: it removes their references."""
        new = json.loads(json.dumps(obj))
        refs = new["metadata"]["ownerReferences"]
        new["metadata"]["ownerReferences"] = [r for r in refs if not isinstance(r, dict) or r.get("uid") in self.uids]
        new["metadata"]["resourceVersion"] = self._next_rv()
        self.data[key][namespace][new["metadata"]["name"]] = new
        self.hub.publish(key, Change(self.rv, "MODIFIED", new, obj, namespace))
        self._link_owners(key, new, obj)
