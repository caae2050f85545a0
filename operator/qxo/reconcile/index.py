"""The last-seen body of every qxo object, who refers to whom, who claims which remote thing, and who attaches
to whichever object holds a claim.

Fed from the watch stream (every event, including the initial listing), so lookups of a
referenced object, of an object's dependents and of its rivals cost no API call. What a body
references and claims is told by the caller (the kinds table), so the index knows no kind.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from qxo.reconcile.keys import ObjectKey

References = Callable[[ObjectKey, Mapping[str, Any]], tuple[ObjectKey, ...]]  # distinct, in a stable order
Claim = Callable[[ObjectKey, Mapping[str, Any]], Hashable | None]
Attach = Callable[[ObjectKey, Mapping[str, Any]], tuple[str, Hashable] | None]
Holds = Callable[[ObjectKey, Mapping[str, Any]], bool]


def _nothing(key: ObjectKey, body: Mapping[str, Any]) -> Any:
    return None


# Who refers to an object, claims a remote thing or attaches to a claim is nearly always one object: one is
# kept as itself and only two or more as a set (a set of one is 216 bytes, 3.5 MB at 10,000 objects).
Members = ObjectKey | set[ObjectKey]


def _add(table: dict[Any, Members], at: Hashable, key: ObjectKey) -> None:
    held = table.get(at)
    if held is None:
        table[at] = key
    elif isinstance(held, set):
        held.add(key)
    elif held != key:
        table[at] = {held, key}


def _discard(table: dict[Any, Members], at: Hashable, key: ObjectKey) -> None:
    held = table.get(at)
    if isinstance(held, set):
        held.discard(key)
        if len(held) == 1:
            table[at] = held.pop()
    elif held == key:
        del table[at]


def _members(table: dict[Any, Members], at: Hashable) -> set[ObjectKey]:
    """A copy: the caller may change the table while it goes through them."""
    held = table.get(at)
    if held is None:
        return set()
    return set(held) if isinstance(held, set) else {held}


class ObjectIndex:
    def __init__(self, references: References | None = None, claim: Claim | None = None,
                 attach: Attach | None = None, holds: Holds | None = None) -> None:
        self._references = references or (lambda key, body: ())
        self._claim_of = claim or _nothing
        self._attach_of = attach or _nothing
        self._holds = holds or _nothing
        self._bodies: dict[ObjectKey, Mapping[str, Any]] = {}
        self._by_kind: dict[str, set[ObjectKey]] = {}
        self._by_namespace: dict[tuple[str, str], set[ObjectKey]] = {}  # (kind, namespace) -> keys
        self._refs: dict[ObjectKey, tuple[ObjectKey, ...]] = {}  # a tuple: a fifth of a frozenset's size
        self._dependents: dict[ObjectKey, Members] = {}
        self._claims: dict[ObjectKey, tuple[str, Hashable]] = {}
        self._claimants: dict[tuple[str, Hashable], Members] = {}
        self._attachments: dict[ObjectKey, tuple[str, Hashable]] = {}
        self._attached: dict[tuple[str, Hashable], Members] = {}

    def remember(self, key: ObjectKey, body: Mapping[str, Any]) -> None:
        self._bodies[key] = body
        self._by_kind.setdefault(key.kind, set()).add(key)
        self._by_namespace.setdefault((key.kind, key.namespace), set()).add(key)
        claim = self._claim_of(key, body)
        self._claim(key, None if claim is None else (key.kind, claim))
        self._attach(key, self._attach_of(key, body))
        new_refs = self._references(key, body)
        old_refs = self._refs.get(key, ())
        if new_refs == old_refs:
            return
        for ref in set(old_refs).difference(new_refs):
            _discard(self._dependents, ref, key)
        for ref in set(new_refs).difference(old_refs):
            _add(self._dependents, ref, key)
        self._refs[key] = new_refs

    def _claim(self, key: ObjectKey, claim: tuple[str, Hashable] | None) -> None:
        old = self._claims.get(key)
        if old == claim:
            return
        if old is not None:
            _discard(self._claimants, old, key)
            del self._claims[key]
        if claim is not None:
            self._claims[key] = claim
            _add(self._claimants, claim, key)

    def _attach(self, key: ObjectKey, attachment: tuple[str, Hashable] | None) -> None:
        old = self._attachments.pop(key, None)
        if old is not None:
            _discard(self._attached, old, key)
        if attachment is not None:
            self._attachments[key] = attachment
            _add(self._attached, attachment, key)

    def forget(self, key: ObjectKey) -> None:
        self._bodies.pop(key, None)
        self._by_kind.get(key.kind, set()).discard(key)
        in_namespace = self._by_namespace.get((key.kind, key.namespace))
        if in_namespace is not None:
            in_namespace.discard(key)
            if not in_namespace:
                del self._by_namespace[(key.kind, key.namespace)]
        self._claim(key, None)
        self._attach(key, None)
        for ref in self._refs.pop(key, ()):
            _discard(self._dependents, ref, key)

    def claimants(self, kind: str, claim: Hashable) -> set[ObjectKey]:
        """The objects of `kind` claiming the same remote thing (one, unless several contend for it)."""
        return _members(self._claimants, (kind, claim))

    def attachment(self, key: ObjectKey) -> tuple[str, Hashable] | None:
        """The (kind, claim) whose holder `key` attaches to, if it attaches by claim."""
        return self._attachments.get(key)

    def rivals(self, key: ObjectKey) -> set[ObjectKey]:
        """The other objects claiming what `key` claims."""
        claim = self._claims.get(key)
        return set() if claim is None else _members(self._claimants, claim) - {key}

    def references_of(self, key: ObjectKey) -> tuple[ObjectKey, ...]:
        return self._refs.get(key, ())

    def body(self, key: ObjectKey) -> Mapping[str, Any] | None:
        return self._bodies.get(key)

    def age(self, key: ObjectKey) -> tuple[str, bool, str, str]:
        """Sort key, oldest first: when two objects claim one remote thing, the older one keeps it.

        creationTimestamp counts whole seconds: of claimants created in one second, one already holding the
        claim (`holds`) keeps it, so a later one cannot take over what another manages; then namespace and
        name, so every claimant agrees on one holder.
        """
        body = self._bodies.get(key) or {}
        meta = body.get("metadata") or {}
        return (meta.get("creationTimestamp") or "", not self._holds(key, body), key.namespace, key.name)

    def oldest(self, key: ObjectKey, rivals: Iterable[ObjectKey]) -> ObjectKey:
        """Of `key` and the objects claiming the same remote thing, the one that keeps it."""
        return min([key, *rivals], key=self.age)

    def part(self, key: ObjectKey, part: str) -> Mapping[str, Any]:
        """The `spec` or `status` of a remembered body ({} when unknown)."""
        return (self._bodies.get(key) or {}).get(part) or {}

    def keys(self, kind: str, namespace: str | None = None) -> set[ObjectKey]:
        """The objects of `kind`, or of `kind` in `namespace` (without a scan of every namespace's)."""
        if namespace is not None:
            return set(self._by_namespace.get((kind, namespace), ()))
        return set(self._by_kind.get(kind, ()))

    def dependents(self, key: ObjectKey) -> set[ObjectKey]:
        """Who names `key`, and who attaches to the claim it makes (whichever claimant holds it)."""
        dependents = _members(self._dependents, key)
        claim = self._claims.get(key)
        if claim is not None:
            dependents |= _members(self._attached, claim)
        return dependents

    def dependents_transitive(self, key: ObjectKey) -> set[ObjectKey]:
        seen: set[ObjectKey] = set()
        todo = [key]
        while todo:
            for dependent in self.dependents(todo.pop()):
                if dependent not in seen:
                    seen.add(dependent)
                    todo.append(dependent)
        return seen
