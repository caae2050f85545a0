"""The last-seen body of every qxo object, and who refers to whom.

Fed from the watch stream (every event, including the initial listing), so lookups of a
referenced object and of an object's dependents cost no API call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qxo.reconcile.keys import ACCOUNT, BRAND, CONFIGMAP, GRANT, INSTALL, LINK, SECRET, ObjectKey


def _name(spec: Mapping[str, Any], *path: str) -> str | None:
    node: Any = spec
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node if isinstance(node, str) and node else None


def references(kind: str, body: Mapping[str, Any]) -> frozenset[ObjectKey]:
    """The objects (qxo kinds, Secrets, ConfigMaps) that `body` names in its spec."""
    spec = body.get("spec") or {}
    here = ObjectKey.of(kind, body)
    wanted: list[tuple[str, str | None]] = []
    if kind == BRAND:
        credentials = spec.get("credentials") or {}
        wanted += [
            (SECRET, _name(credentials, "apiTokenSecretRef", "name")),
            (SECRET, _name(credentials, "oauthClientSecretRef", "name")),
            (CONFIGMAP, _name(spec, "caBundleRef", "name")),
        ]
    elif kind == INSTALL:
        wanted += [(BRAND, _name(spec, "brandRef", "name"))]
    elif kind == ACCOUNT:
        wanted += [(INSTALL, _name(spec, "installRef", "name")),
                   (SECRET, _name(spec, "credentials", "secretRef", "name"))]
    elif kind == GRANT:
        wanted += [(ACCOUNT, _name(spec, "accountRef", "name"))]
    elif kind == LINK:
        wanted += [
            (BRAND, _name(spec, "brandRef", "name")),
            (SECRET, _name(spec, "oauth", "clientSecretRef", "name")),
            (SECRET, _name(spec, "oauth", "refreshTokenSecretRef", "name")),
            (CONFIGMAP, _name(spec, "caBundleRef", "name")),
        ]
    return frozenset(here.sibling(ref_kind, name) for ref_kind, name in wanted if name)


def extension_claim(kind: str, body: Mapping[str, Any]) -> tuple[ObjectKey, str] | None:
    """The (QualtricsBrand, extension id) an ExtensionInstall manages; None for other kinds."""
    if kind != INSTALL:
        return None
    spec = body.get("spec") or {}
    brand, extension_id = _name(spec, "brandRef", "name"), spec.get("extensionId")
    if not brand or not isinstance(extension_id, str):
        return None
    return ObjectKey.of(kind, body).sibling(BRAND, brand), extension_id


class ObjectIndex:
    def __init__(self) -> None:
        self._bodies: dict[ObjectKey, Mapping[str, Any]] = {}
        self._refs: dict[ObjectKey, frozenset[ObjectKey]] = {}
        self._dependents: dict[ObjectKey, set[ObjectKey]] = {}
        self._claims: dict[ObjectKey, tuple[ObjectKey, str]] = {}
        self._installs: dict[tuple[ObjectKey, str], set[ObjectKey]] = {}

    def remember(self, key: ObjectKey, body: Mapping[str, Any]) -> None:
        self._bodies[key] = body
        self._claim(key, extension_claim(key.kind, body))
        new_refs = references(key.kind, body)
        old_refs = self._refs.get(key, frozenset())
        for ref in old_refs - new_refs:
            self._dependents.get(ref, set()).discard(key)
        for ref in new_refs - old_refs:
            self._dependents.setdefault(ref, set()).add(key)
        self._refs[key] = new_refs

    def _claim(self, key: ObjectKey, claim: tuple[ObjectKey, str] | None) -> None:
        old = self._claims.get(key)
        if old == claim:
            return
        if old is not None:
            self._installs[old].discard(key)
            del self._claims[key]
        if claim is not None:
            self._claims[key] = claim
            self._installs.setdefault(claim, set()).add(key)

    def installs_of(self, brand_key: ObjectKey, extension_id: str) -> set[ObjectKey]:
        """The ExtensionInstalls declaring `extension_id` in that brand (one, unless two contend for it)."""
        return set(self._installs.get((brand_key, extension_id), ()))

    def forget(self, key: ObjectKey) -> None:
        self._bodies.pop(key, None)
        self._claim(key, None)
        for ref in self._refs.pop(key, frozenset()):
            self._dependents.get(ref, set()).discard(key)

    def references_of(self, key: ObjectKey) -> frozenset[ObjectKey]:
        return self._refs.get(key, frozenset())

    def body(self, key: ObjectKey) -> Mapping[str, Any] | None:
        return self._bodies.get(key)

    def age(self, key: ObjectKey) -> tuple[str, str]:
        """Sort key, oldest first: when two objects claim one remote thing, the older one keeps it."""
        meta = (self._bodies.get(key) or {}).get("metadata") or {}
        return (meta.get("creationTimestamp") or "", key.name)

    def oldest(self, key: ObjectKey, rivals: Iterable[ObjectKey]) -> ObjectKey:
        """Of `key` and the objects claiming the same remote thing, the one that keeps it."""
        return min([key, *rivals], key=self.age)

    def part(self, key: ObjectKey, part: str) -> Mapping[str, Any]:
        """The `spec` or `status` of a remembered body ({} when unknown)."""
        return (self._bodies.get(key) or {}).get(part) or {}

    def keys(self, kind: str) -> list[ObjectKey]:
        return [key for key in self._bodies if key.kind == kind]

    def dependents(self, key: ObjectKey) -> set[ObjectKey]:
        return set(self._dependents.get(key, ()))

    def dependents_transitive(self, key: ObjectKey) -> set[ObjectKey]:
        seen: set[ObjectKey] = set()
        todo = [key]
        while todo:
            for dependent in self._dependents.get(todo.pop(), ()):
                if dependent not in seen:
                    seen.add(dependent)
                    todo.append(dependent)
        return seen
