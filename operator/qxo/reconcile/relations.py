"""How objects relate, read from the kinds table: who refers to whom, who leads to which brand, who
claims what, each object's latest verdict, and what its kind remembers of it.

Fed by the watch (bodies, Secrets) and by each converge (verdicts); dependents go by a dependency's
verdict, not by the status the watch shows: under load the watch delivers a status patch seconds
after it was written, and every level of dependency would add that delay.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

from qxo.kube.namespace import DEFAULT_NAMESPACE
from qxo.kube.secrets import SecretSource, WatchedSecrets
from qxo.reconcile.conditions import READY_STATES, State
from qxo.reconcile.index import ObjectIndex
from qxo.reconcile.keys import SECRET, ObjectKey, external_id, generation, is_paused, refresh_requested
from qxo.reconcile.outcome import Outcome, Waiting
from qxo.reconcile.protocol import BrandRole, Kind, Object, Scope
from qxo.reconcile.status import WrittenStatuses
from qxo.reconcile.wakeups import Wakeups

# How long an object waits silently for a dependency the watch has not shown at all, counted from
# the last arrival of a new object of the dependency's kind: objects applied together (a directory,
# a sync, the listing at start-up, which at 10,000 objects streams in for a minute) arrive in any
# order, so silence while they still arrive spares a "missing" status that the next event
# contradicts (or, for a Secret, a GET of what the watch is about to bring); a real typo is
# reported a few seconds after its kind goes quiet (at most DEFER_GRACE_SECONDS late).
MISSING_GRACE_SECONDS = 5.0


def _ready_condition(body: Mapping[str, Any] | None) -> bool:
    for condition in ((body or {}).get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


class Relations:
    def __init__(self, secrets: SecretSource, kinds: Iterable[Kind], home: str = DEFAULT_NAMESPACE,
                 secrets_watched: bool = False) -> None:
        self.kinds: dict[str, Kind] = {entry.name: entry for entry in kinds}
        self.cluster_kinds = frozenset(name for name, entry in self.kinds.items() if entry.scope is Scope.CLUSTER)
        self.home = home  # the operator's namespace: where a cluster-scoped object's references live by default
        self.index = ObjectIndex(self.references, self._claim, self._attach, self._holds)
        self.wakeups = Wakeups()
        self.secrets = WatchedSecrets(secrets)
        self.statuses = WrittenStatuses()
        self.verdicts: dict[ObjectKey, State] = {}         # each object's latest converge verdict
        self._concluded: dict[ObjectKey, Mapping[str, Any]] = {}  # and the status fields it concluded
        self._seen: dict[ObjectKey, tuple] = {}  # what dependents last acted on (see tell_dependents)
        self._deferred: dict[ObjectKey, tuple[float, ObjectKey]] = {}  # waiting silently: since when, for what
        self._memory: dict[ObjectKey, dict[str, Any]] = {}
        self._secret_versions: dict[ObjectKey, str] = {}
        # Per kind, when the watch last showed an object new to the operator; a watched Secret listing starts now.
        self.secrets_watched = secrets_watched
        self._arrived: dict[str, float] = {SECRET: time.monotonic()} if secrets_watched else {}

    # -- the table, applied to bodies -------------------------------------------------------------

    def references(self, key: ObjectKey, body: Mapping[str, Any]) -> tuple[ObjectKey, ...]:
        """The objects (qxo kinds, Secrets, ConfigMaps) that `body` names in its spec, each once, in the order
        of the kind's refs."""
        entry = self.kinds.get(key.kind)
        if entry is None:
            return ()
        spec = body.get("spec") or {}
        targets = (ref.target(key, spec, self.cluster_kinds, self.home) for ref in entry.refs)
        return tuple(dict.fromkeys(target for target in targets if target is not None))

    def _claim(self, key: ObjectKey, body: Mapping[str, Any]) -> Hashable | None:
        entry = self.kinds.get(key.kind)
        return entry.claim(key, body) if entry is not None and entry.claim is not None else None

    def _holds(self, key: ObjectKey, body: Mapping[str, Any]) -> bool:
        """Whether the object's status, as its latest converge concluded it, says it holds its claim."""
        entry = self.kinds.get(key.kind)
        if entry is None or entry.claim is None:
            return False
        status = {**(body.get("status") or {}), **(self._concluded.get(key) or {})}
        return status.get(entry.holds) is not None

    def _attach(self, key: ObjectKey, body: Mapping[str, Any]) -> tuple[str, Hashable] | None:
        entry = self.kinds.get(key.kind)
        return entry.attach(key, body) if entry is not None and entry.attach is not None else None

    def role(self, key: ObjectKey) -> BrandRole:
        entry = self.kinds.get(key.kind)
        return entry.brand if entry is not None else BrandRole.NONE

    def parent_key(self, key: ObjectKey, body: Mapping[str, Any] | None,
                   index: ObjectIndex | None = None) -> ObjectKey | None:
        """The parent `body` names, or else the holder of the claim it attaches to (None when none holds it)."""
        entry = self.kinds.get(key.kind)
        if entry is None or body is None:
            return None
        named = entry.parent.target(key, body.get("spec") or {}, self.cluster_kinds, self.home) \
            if entry.parent is not None else None
        if named is not None or entry.attach is None:
            return named
        attachment = entry.attach(key, body)
        if attachment is None:
            return None
        index = index or self.index
        claimants = index.claimants(*attachment)
        return min(claimants, key=index.age) if claimants else None

    def brand_of(self, key: ObjectKey, index: ObjectIndex | None = None) -> ObjectKey | None:
        """The brand `key` leads to by its parents (itself, for a brand), through the bodies `index` holds."""
        index = index or self.index
        for _ in range(len(self.kinds) + 1):
            role = self.role(key)
            if role is BrandRole.CONNECTS:
                return key
            if role is BrandRole.NONE:
                return None
            parent = self.parent_key(key, index.body(key), index)
            if parent is None:
                return None
            key = parent
        return None

    # -- what dependents go by --------------------------------------------------------------------

    def body(self, key: ObjectKey) -> Mapping[str, Any] | None:
        return self.index.body(key)

    def ready(self, key: ObjectKey) -> bool:
        """Whether the object's latest converge found it Ready (its Ready condition, after a restart).

        An object being deleted is not: its finalizer is undoing what it made (an uninstall takes the
        extension's accounts with it), and a dependent must not make anything under it meanwhile.
        """
        body = self.index.body(key)
        if body is not None and (body.get("metadata") or {}).get("deletionTimestamp"):
            return False
        verdict = self.verdicts.get(key)
        if verdict is None or verdict is State.PAUSED:  # paused leaves its Ready condition as it was
            return _ready_condition(body)
        return verdict in READY_STATES

    def status_of(self, key: ObjectKey) -> Mapping[str, Any]:
        """The object's status as its latest converge concluded it, over what the watch shows."""
        status = self.index.part(key, "status")
        concluded = self._concluded.get(key)
        return {**status, **concluded} if concluded else status

    def waiting_reason(self, key: ObjectKey) -> str:
        entry = self.kinds.get(key.kind)
        return entry.waiting_reason if entry is not None else f"WaitingFor{key.kind}"

    def parent(self, obj: Object) -> tuple[ObjectKey, Mapping[str, Any]]:
        parent = self.parent_key(obj.key, obj.body)
        attachment = self._attach(obj.key, obj.body)
        if parent is None and attachment is not None:
            kind, claim = attachment
            raise Waiting(self.waiting_reason(ObjectKey(kind, "", "")),
                          f"no {kind} declares {_claimed(claim)} yet",
                          dependency=ObjectKey(kind, "", f"attached:{_claimed(claim)}"))
        if parent is None:
            raise ValueError(f"{obj.key.kind} has no parent reference in its spec")
        body = self.index.body(parent)
        if body is None or not self.ready(parent):
            raise Waiting(self.waiting_reason(parent), f"{parent.kind} {parent.name} is not Ready yet",
                          dependency=parent)
        return parent, body

    def holder(self, obj: Object, claim: Hashable) -> ObjectKey:
        return self.index.oldest(obj.key, self.index.claimants(obj.key.kind, claim))

    def deferred_on(self, key: ObjectKey) -> ObjectKey | None:
        """The dependency an object waits for silently, if it does."""
        waiting = self._deferred.get(key)
        return waiting[1] if waiting else None

    def record(self, key: ObjectKey, outcome: Outcome) -> State | None:
        """Keep a converge's verdict and concluded status; the previous verdict."""
        previous, self.verdicts[key] = self.verdicts.get(key), outcome.state
        self._concluded[key] = outcome.status
        return previous

    def visible(self, key: ObjectKey) -> tuple:
        """What dependents act on: readiness, the remote id, the spec's generation."""
        return (self.ready(key), self.status_of(key).get("externalId"), generation(self.index.body(key) or {}))

    def changed_for_dependents(self, key: ObjectKey) -> tuple | None:
        """What dependents act on, when it changed since they were last told; None when it did not."""
        visible = self.visible(key)
        if self._seen.get(key) == visible:
            return None
        self._seen[key] = visible
        return visible

    @staticmethod
    def fingerprint(body: Mapping[str, Any]) -> tuple:
        """What makes an object converge again when it changes: its spec, pause, adoption, refresh, deletion."""
        meta = body.get("metadata") or {}
        return (generation(body), is_paused(body), external_id(body), refresh_requested(body),
                bool(meta.get("deletionTimestamp")))

    # -- per-object memory and Secrets ------------------------------------------------------------

    def memory(self, key: ObjectKey) -> dict[str, Any]:
        return self._memory.setdefault(key, {})

    def forget(self, key: ObjectKey) -> None:
        """The object is gone: drop everything about it (closing what its kind kept) and wake its dependents."""
        dependents = self.index.dependents(key)  # before its claim goes, so those attached to it are woken too
        self.index.forget(key)
        for memo in (self.verdicts, self._concluded, self._seen, self._deferred):
            memo.pop(key, None)
        self.statuses.forget(key)
        self.wakeups.forget(key)
        _close_all((self._memory.pop(key, None) or {}).values())
        self.wakeups.wake_all(dependents | self.index.dependents(key))

    def forget_all(self) -> None:
        for kept in self._memory.values():
            _close_all(kept.values())
        self._memory.clear()

    def saw_secret(self, namespace: str, name: str, resource_version: str | None, *, deleted: bool = False,
                   body: Mapping[str, Any] | None = None) -> None:
        """A Secret on the watch: remember it (its data too, when `body` is given) and wake who uses it."""
        key = ObjectKey(SECRET, namespace, name)
        already_read = self.secrets.read_at(namespace, name)
        self.secrets.saw(namespace, name, None if deleted else body)
        if deleted:
            self._secret_versions.pop(key, None)
        elif resource_version is not None:
            first = key not in self._secret_versions
            if self._secret_versions.get(key) == resource_version:
                return
            self._secret_versions[key] = resource_version
            if first:
                self._arrived[SECRET] = time.monotonic()
            if already_read == resource_version or (first and already_read is None):
                # Its users read this very version from the API server before the watch brought it, or
                # none has read it yet (they will read this one): nothing new, but for those waiting for it.
                self.wakeups.wake_all(waiter for waiter in self.index.dependents(key)
                                      if self._deferred.get(waiter, (0.0, None))[1] == key
                                      or self.verdicts.get(waiter) is State.WAITING)
                return
        self.wakeups.wake_all(self.index.dependents(key))

    def shown(self, key: ObjectKey) -> bool:
        """Whether the watch has shown the object (a qxo kind's body, or a Secret's resourceVersion)."""
        return key in self._secret_versions if key.kind == SECRET else self.index.body(key) is not None

    def secret_arriving(self, namespace: str, name: str) -> bool:
        """Whether a Secret may yet come on the watch: watched, neither shown nor read yet, and Secrets new to
        the operator arrived within MISSING_GRACE_SECONDS (the watch's listing at start-up). Waiting for it
        then spares a GET per account of what the listing is about to bring."""
        return (self.secrets_watched and ObjectKey(SECRET, namespace, name) not in self._secret_versions
                and self.secrets.read_at(namespace, name) is None
                and time.monotonic() - self._arrived[SECRET] < MISSING_GRACE_SECONDS)

    def secret_version(self, namespace: str, name: str) -> str | None:
        return self._secret_versions.get(ObjectKey(SECRET, namespace, name))


def _claimed(claim: Hashable) -> str:
    """A claim in words: (the ClusterQualtricsBrand acme's key, 'jira') is `jira on ClusterQualtricsBrand acme`."""
    if isinstance(claim, tuple) and len(claim) == 2 and isinstance(claim[0], ObjectKey):
        return f"{claim[1]} on {claim[0].kind} {claim[0].name}"
    return str(claim)


def _close_all(values: Iterable[Any]) -> None:
    """Close what a kind kept of an object (a Salesforce session); nothing else needs closing."""
    for value in values:
        close = getattr(value, "close", None)
        if callable(close):
            with contextlib.suppress(Exception):
                close()
