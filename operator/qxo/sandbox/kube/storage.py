"""The object store: one dict per resource, keyed by namespace then name, and the metadata rules.

Every single-object operation is a few dict lookups plus work on that one object, so its cost
does not grow with the number of stored objects. resourceVersion is one global counter.

Garbage collection by ownerReferences is the collector's (qxo.sandbox.kube.garbage).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import secrets
import uuid
from typing import Any

from qxo.sandbox.kube.errors import ApiError, already_exists, conflict, invalid, not_found, precondition_failed
from qxo.sandbox.kube.garbage import GarbageCollection
from qxo.sandbox.kube.metarules import settle_update
from qxo.sandbox.kube.resources import ResourceType
from qxo.sandbox.kube.watch import Change, Hub

NAMESPACES = "/namespaces"
# generateName (apimachinery's SimpleNameGenerator): the prefix cut to 58 characters, five random ones from
# this alphabet (no vowels, no look-alikes), and since v1.32 up to seven more draws while the name is taken.
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_GENERATED_PREFIX = 58
GENERATE_NAME_ATTEMPTS = 8
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def clone(obj: Any) -> Any:
    """A deep copy of JSON data; a JSON round trip is several times faster than copy.deepcopy."""
    return json.loads(json.dumps(obj))


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec_part(obj: dict[str, Any], ignore_status: bool) -> dict[str, Any]:
    skip = {"metadata", "apiVersion", "kind"} | ({"status"} if ignore_status else set())
    return {k: v for k, v in obj.items() if k not in skip}


class Store(GarbageCollection):
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.rv = 1
        self.data: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        # objects per namespace, so a terminating namespace knows when it is empty without a scan
        self.ns_counts: dict[str, int] = {}
        # garbage collection: the uids stored, and owner uid -> (storage key, namespace, name) of its dependents
        self.uids: set[str] = set()
        self.dependents: dict[str, set[tuple[str, str, str]]] = {}

    # reads

    def bucket(self, rtype: ResourceType, namespace: str) -> dict[str, dict[str, Any]]:
        return self.data.setdefault(rtype.storage_key, {}).setdefault(namespace, {})

    def get(self, rtype: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        obj = self.data.get(rtype.storage_key, {}).get(namespace, {}).get(name)
        if obj is None:
            raise not_found(rtype.plural, rtype.group, name)
        return obj

    def find(self, rtype: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        return self.data.get(rtype.storage_key, {}).get(namespace, {}).get(name)

    def iter(self, rtype: ResourceType, namespace: str | None):
        buckets = self.data.get(rtype.storage_key, {})
        if namespace is not None:
            yield from buckets.get(namespace, {}).values()
            return
        for bucket in buckets.values():
            yield from bucket.values()

    # writes

    def _next_rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    def _publish(self, rtype: ResourceType, kind: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        ns = obj["metadata"].get("namespace", "")
        self.hub.publish(rtype.storage_key, Change(int(obj["metadata"]["resourceVersion"]), kind, obj, old, ns))

    def check_namespace(self, rtype: ResourceType, namespace: str, name: str = "") -> None:
        if not rtype.namespaced:
            return
        ns = self.data.get(NAMESPACES, {}).get("", {}).get(namespace)
        if ns is None:
            raise not_found("namespaces", "", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            # the NamespaceLifecycle admission plugin's refusal
            raise ApiError(
                403,
                f'{rtype.plural} "{name}" is forbidden: unable to create new content in namespace '
                f"{namespace} because it is being terminated",
                details={"name": name, "group": rtype.group, "kind": rtype.plural, "causes": [
                    {"reason": "NamespaceTerminating", "message": f"namespace {namespace} is being terminated",
                     "field": "metadata.namespace"}]},
            )

    def create(self, rtype: ResourceType, namespace: str, obj: dict[str, Any], dry_run: bool = False) -> dict[str, Any]:
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self._generated_name(rtype, namespace, meta["generateName"])
        name = meta.get("name") or ""
        self._validate_name(rtype, name)
        self.check_namespace(rtype, namespace, name)
        if self.find(rtype, namespace, name) is not None:
            raise already_exists(rtype.plural, rtype.group, name)
        if rtype.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "selfLink"):
            meta.pop(key, None)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        if rtype.tracks_generation:
            meta["generation"] = 1
        if dry_run:
            return obj  # nothing was written, so there is no resourceVersion to tell
        meta["resourceVersion"] = self._next_rv()
        self.bucket(rtype, namespace)[name] = obj
        if rtype.namespaced:
            self.ns_counts[namespace] = self.ns_counts.get(namespace, 0) + 1
        self.uids.add(meta["uid"])
        self._publish(rtype, "ADDED", obj, None)
        self._link_owners(rtype.storage_key, obj, None)
        return obj

    def _generated_name(self, rtype: ResourceType, namespace: str, prefix: str) -> str:
        """generateName's suffix as the server makes it: five characters of apimachinery's random alphabet,
        drawn again (up to seven more times, KEP-4420, stable since v1.32) while the name is taken."""
        for _ in range(GENERATE_NAME_ATTEMPTS):
            name = prefix[:MAX_GENERATED_PREFIX] + "".join(secrets.choice(NAME_ALPHABET) for _ in range(5))
            if self.find(rtype, namespace, name) is None:
                break
        return name  # still taken after every attempt: the create is refused as AlreadyExists

    def _validate_name(self, rtype: ResourceType, name: str) -> None:
        if not name:
            raise invalid(rtype.kind, rtype.group, name, [
                {"reason": "FieldValueRequired", "field": "metadata.name",
                 "message": "Required value: name or generateName is required"}])
        pattern, limit = (DNS_LABEL, 63) if rtype.plural == "namespaces" else (DNS_SUBDOMAIN, 253)
        if len(name) > limit or not pattern.match(name):
            raise invalid(rtype.kind, rtype.group, name, [
                {"reason": "FieldValueInvalid", "field": "metadata.name",
                 "message": f'Invalid value: "{name}": a lowercase RFC 1123 name must consist of lower case '
                            "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                            f"character (at most {limit} characters)"}])

    def update(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        new: dict[str, Any],
        *,
        status_only: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Replace an object; `new` is already a private copy the store may keep."""
        old = self.get(rtype, namespace, name)
        old_meta = old["metadata"]
        meta = new.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise ApiError(
                400, f'the name of the object ({meta.get("name")}) does not match the name on the URL ({name})'
            )
        sent_rv = meta.get("resourceVersion")
        if sent_rv and sent_rv != old_meta["resourceVersion"]:
            raise conflict(rtype.plural, rtype.group, name)
        if not sent_rv and rtype.tracks_generation:
            # the generic store's refusal, which names the resource rather than the kind
            raise invalid(rtype.plural, rtype.group, name, [
                {"reason": "FieldValueInvalid", "field": "metadata.resourceVersion",
                 "message": "Invalid value: 0x0: must be specified for an update"}])
        if status_only:
            new = self._only_status(old, new)
            meta = new["metadata"]
        elif rtype.status_subresource:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        causes = settle_update(old_meta, meta)
        if causes:
            raise invalid(rtype.kind, rtype.group, name, causes)
        if rtype.namespaced:
            meta["namespace"] = namespace
        meta["name"] = name
        if rtype.tracks_generation and _spec_part(new, rtype.status_subresource) != _spec_part(
            old, rtype.status_subresource
        ):
            meta["generation"] = old_meta.get("generation", 1) + 1
        meta["resourceVersion"] = old_meta["resourceVersion"]
        if new == old:
            return old  # a no-op write keeps its resourceVersion, as the real server does
        if dry_run:
            return new
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            # the last finalizer is gone: the stored object is deleted instead of updated (the watch sees it
            # as it was stored) and the answer is the update as it would have been, at the old version
            final = {**old, "metadata": {**old_meta, "resourceVersion": self._next_rv()}}
            self._remove(rtype, namespace, name, final, old)
            return new
        meta["resourceVersion"] = self._next_rv()
        self.bucket(rtype, namespace)[name] = new
        self._publish(rtype, "MODIFIED", new, old)
        self._link_owners(rtype.storage_key, new, old)
        return new

    @staticmethod
    def _only_status(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        merged = clone(old)
        if "status" in new:
            merged["status"] = new["status"]
        else:
            merged.pop("status", None)
        merged["metadata"]["resourceVersion"] = new["metadata"].get("resourceVersion")
        return merged

    def delete(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        preconditions: dict[str, Any] | None = None,
        dry_run: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """Delete or mark for deletion; returns the object and whether it is gone."""
        old = self.get(rtype, namespace, name)
        meta = old["metadata"]
        preconditions = preconditions or {}
        sent_rv, sent_uid = preconditions.get("resourceVersion"), preconditions.get("uid")
        if sent_uid and sent_uid != meta["uid"]:
            raise precondition_failed(rtype.kind, rtype.group, name, "UID", sent_uid, meta["uid"])
        if sent_rv and sent_rv != meta["resourceVersion"]:
            raise precondition_failed(rtype.kind, rtype.group, name, "ResourceVersion", sent_rv,
                                      meta["resourceVersion"])
        if rtype.plural == "namespaces" and not rtype.group:
            return self._delete_namespace(rtype, name, old, dry_run)
        if meta.get("finalizers"):
            if meta.get("deletionTimestamp"):
                return old, False
            new = clone(old)
            new["metadata"]["deletionTimestamp"] = now()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            if "generation" in meta:
                new["metadata"]["generation"] = meta["generation"] + 1
            if dry_run:
                return new, False
            new["metadata"]["resourceVersion"] = self._next_rv()
            self.bucket(rtype, namespace)[name] = new
            self._publish(rtype, "MODIFIED", new, old)
            return new, False
        if dry_run:
            return old, True
        new = copy.copy(old)
        new["metadata"] = {**meta, "resourceVersion": self._next_rv()}
        return self._remove(rtype, namespace, name, new, old), True

    def _remove(self, rtype, namespace, name, final, old) -> dict[str, Any]:
        del self.data[rtype.storage_key][namespace][name]
        self._publish(rtype, "DELETED", final, old)
        if rtype.namespaced:
            self.ns_counts[namespace] -= 1
        self._collect_garbage(rtype.storage_key, old)
        if rtype.namespaced:
            self._maybe_finish_namespace(namespace)
        return final

    def _delete_namespace(self, rtype, name, old, dry_run) -> tuple[dict[str, Any], bool]:
        if old["metadata"].get("deletionTimestamp") or dry_run:
            return old, False
        new = clone(old)
        new["metadata"]["deletionTimestamp"] = now()
        new.setdefault("status", {})["phase"] = "Terminating"
        new["metadata"]["resourceVersion"] = self._next_rv()
        self.bucket(rtype, "")[name] = new
        self._publish(rtype, "MODIFIED", new, old)
        # what the namespace controller does: delete the contents, honouring their finalizers
        for key, buckets in list(self.data.items()):
            if key == NAMESPACES:
                continue
            for obj in list(buckets.get(name, {}).values()):
                self._delete_stored(key, name, obj)
        self._maybe_finish_namespace(name)
        return new, self.find(rtype, "", name) is None

    def _delete_stored(self, key: str, namespace: str, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            return
        if meta.get("finalizers"):
            new = clone(obj)
            new["metadata"]["deletionTimestamp"] = now()
            new["metadata"]["deletionGracePeriodSeconds"] = 0  # the controllers' deletes are plain DELETEs
            if "generation" in meta:
                new["metadata"]["generation"] = meta["generation"] + 1
            new["metadata"]["resourceVersion"] = self._next_rv()
            self.data[key][namespace][meta["name"]] = new
            self.hub.publish(key, Change(self.rv, "MODIFIED", new, obj, namespace))
            return
        del self.data[key][namespace][meta["name"]]
        final = {**obj, "metadata": {**meta, "resourceVersion": self._next_rv()}}
        self.hub.publish(key, Change(self.rv, "DELETED", final, obj, namespace))
        if namespace:
            self.ns_counts[namespace] -= 1
        self._collect_garbage(key, obj)

    def _maybe_finish_namespace(self, namespace: str) -> None:
        ns = self.data.get(NAMESPACES, {}).get("", {}).get(namespace)
        if ns is None or not ns["metadata"].get("deletionTimestamp") or self.ns_counts.get(namespace, 0) > 0:
            return
        del self.data[NAMESPACES][""][namespace]
        self.ns_counts.pop(namespace, None)
        self._collect_garbage(NAMESPACES, ns)
        final = {**ns, "metadata": {**ns["metadata"], "resourceVersion": self._next_rv()}}
        self.hub.publish(NAMESPACES, Change(self.rv, "DELETED", final, ns, ""))
