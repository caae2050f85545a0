"""The operator's shared state and the two verbs, converge and finalize, for every kind in the table.

Handlers hand a body in and get an Outcome back. The runtime knows kinds only through their
`Kind` entries and the `Reconciler` Protocol (qxo.reconcile.protocol): it checks the spec, drives
observe → plan → gate → apply → status, maps every failure to a decision, and keeps what relates
objects to each other (qxo.reconcile.relations) and to their brands (qxo.reconcile.brands).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from qxo.api.common import DeletionPolicy, ManagementPolicy
from qxo.kube.namespace import DEFAULT_NAMESPACE
from qxo.kube.secrets import SecretSource
from qxo.reconcile import checks, tenancy
from qxo.reconcile.brands import Brands, ObjectLister
from qxo.reconcile.conditions import State
from qxo.reconcile.failures import STALE, outcome_of
from qxo.reconcile.gate import carry_out
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.outcome import Outcome, Waiting
from qxo.reconcile.protocol import BrandRole, Kind, Object
from qxo.reconcile.relations import MISSING_GRACE_SECONDS
from qxo.reconcile.tenancy import TenancyView
from qxo.trust.endpoints import DEFAULT, Allowlist

logger = logging.getLogger(__name__)

DEFAULT_RESYNC_SECONDS = 600.0
# How long an object waits silently for a dependency that is still converging (it has no verdict yet)
# before it reports Waiting anyway: a bound on silence should a wake-up be lost, not a delay anyone
# should see. A dependency with a verdict other than Ready is reported at once; one without a verdict
# is queued behind others, which at 10,000 objects takes minutes, not seconds.
DEFER_GRACE_SECONDS = 120.0


class Runtime(Brands):
    def __init__(self, secrets: SecretSource, *, kinds: Iterable[Kind], lister: ObjectLister | None = None,
                 client_factory: Callable[..., Any] | None = None, allowlist: Allowlist = DEFAULT,
                 platform_namespaces: tuple[str, ...] = (DEFAULT_NAMESPACE,),
                 watched: tuple[str, ...] | None = None, secrets_watched: bool = False) -> None:
        super().__init__(secrets, kinds, lister=lister, allowlist=allowlist, home=platform_namespaces[0],
                         watched=watched, secrets_watched=secrets_watched)
        # Where a ClusterQualtricsBrand's credentials may be read: the administrator's choice, never an object's.
        self.platform_namespaces = platform_namespaces
        self.tenancy = TenancyView()
        self.client_factory = client_factory
        self._reconcilers = {entry.name: entry.reconciler() for entry in self.kinds.values()}
        self._reconciled: dict[ObjectKey, tuple] = {}
        self._recheck: dict[ObjectKey, float] = {}  # seconds a converge asked to be run again within

    # -- what the watch streams tell us -----------------------------------------------------------

    def saw(self, kind: str, body: Mapping[str, Any], *, deleted: bool = False) -> None:
        """Remember an object and wake whoever its change concerns (itself, its dependents, its rivals)."""
        key = ObjectKey.of(kind, body)
        if deleted:
            rivals = self.index.rivals(key)  # may have lost a contested claim to it
            self.forget(key)
            for memo in (self._reconciled, self._recheck):
                memo.pop(key, None)
            self.wakeups.wake_all(rivals)
            return
        if self.index.body(key) is None:
            self._arrived[kind] = time.monotonic()
        self.index.remember(key, body)
        self.statuses.saw(key, body)
        if self.fingerprint(body) != self._reconciled.get(key):
            self.wakeups.wake(key)
        self.tell_dependents(key)

    def saw_namespace(self, name: str, body: Mapping[str, Any] | None) -> None:
        """A namespace on the watch: when its labels changed, its objects are judged again."""
        if self.tenancy.saw_namespace(name, body):
            self._wake_namespaces({name})

    def saw_policy(self, name: str, body: Mapping[str, Any] | None) -> None:
        """An ExtensionPolicy on the watch: the objects of every namespace it selected or selects are judged again."""
        concerned = self.tenancy.selecting(name, body)
        self.tenancy.saw_policy(name, body)
        self._wake_namespaces(concerned)

    def _wake_namespaces(self, namespaces: set[str]) -> None:
        if namespaces:
            self.wakeups.wake_all(key for entry in self.kinds.values() if entry.brand is BrandRole.USES
                                  for namespace in namespaces for key in self.index.keys(entry.name, namespace))

    def judge(self, obj: Object, *, extension_id: str | None = None, facts: Any = None) -> None:
        tenancy.judge(self.tenancy, self.index, obj, self.kinds[obj.key.kind].model, extension_id=extension_id,
                      facts=facts)

    # -- the two verbs ----------------------------------------------------------------------------

    async def converge(self, kind: str, body: Mapping[str, Any]) -> Outcome:
        key = ObjectKey.of(kind, body)
        self.index.remember(key, body)
        self._reconciled[key] = self.fingerprint(body)
        outcome = await self._guarded(kind, lambda: self._converge(self.kinds[kind], key, body), waiter=key)
        if not outcome.deferred:
            self.record_verdict(key, outcome)
        return outcome

    async def _converge(self, entry: Kind, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
        obj = checks.checked(entry, key, body)  # what the spec alone tells comes before any waiting
        reconciler = self._reconcilers[entry.name]
        observed = await reconciler.observe(self, obj)
        actions = reconciler.plan(obj, observed)
        outcome = await carry_out(obj, actions, lambda action: reconciler.apply(self, observed, action))
        reconciler.status(self, obj, observed, outcome)
        return outcome

    def record_verdict(self, key: ObjectKey, outcome: Outcome) -> None:
        """Keep what a converge concluded, which dependents go by, and wake them if it changes for them."""
        self._deferred.pop(key, None)
        if outcome.recheck_after is not None:
            self._recheck[key] = outcome.recheck_after
        previous = self.record(key, outcome)
        self.rest(key, outcome.rests_on if outcome.state is State.READY else None)
        if outcome.state is not State.READY and outcome.state is not previous:
            # Dependents waiting silently for this verdict can now say what they wait for.
            self.wakeups.wake_all(self.index.dependents(key))
        self.tell_dependents(key)
        if outcome.state is State.READY and self.role(key) is BrandRole.CONNECTS:
            self.announce_observation(key)

    async def finalize(self, kind: str, body: Mapping[str, Any]) -> Outcome:
        key = ObjectKey.of(kind, body)
        self.index.remember(key, body)  # what it leads to, even before the watch has shown it
        return await self._guarded(kind, lambda: self._finalize(self.kinds[kind], key, body))

    async def _finalize(self, entry: Kind, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
        obj = checks.parsed(entry, key, body)
        if entry.brand is not BrandRole.CONNECTS and _leaves_it(obj):
            return Outcome.ready("left in the brand (deletionPolicy: Orphan, or managementPolicy: ObserveOnly)")
        reconciler = self._reconcilers[entry.name]
        removal = await reconciler.finalize(self, obj)
        if not removal.actions:
            return Outcome.ready(removal.done)
        return await carry_out(obj, removal.actions, lambda action: reconciler.apply(self, removal.observed, action))

    # -- how long a loop may sleep ----------------------------------------------------------------

    def wait_seconds(self, key: ObjectKey) -> float:
        """How long the object's loop may sleep unwoken: until its own or its brand's recheck, or its silent
        wait's end."""
        seconds = self._recheck.get(key)
        if seconds is None:
            brand_key = self.brand_of(key)
            seconds = self._recheck.get(brand_key, DEFAULT_RESYNC_SECONDS) if brand_key else DEFAULT_RESYNC_SECONDS
            if self.rests(key):  # its brand's observations wake it when its slice changes: this only bounds a lost wake
                seconds = max(seconds, DEFAULT_RESYNC_SECONDS)
        if key in self._deferred:
            seconds = min(seconds, max(0.0, self._look_again_at(key) - time.monotonic()))
        return seconds

    def _defers(self, waiter: ObjectKey, waiting: Waiting) -> bool:
        """Wait silently for a dependency that has not reported a problem (or not appeared yet).

        At start-up every object converges at once, so without this each dependent would first
        report Waiting for a dependency that turns Ready moments later: a status write, a watch
        event and an Event that tell nobody anything. The dependency's Ready verdict, its
        non-Ready one (`record_verdict`) or its appearance on the watch wakes the dependent again.
        """
        dependency = waiting.dependency
        if dependency is None:
            return False
        if self.verdicts.get(dependency, State.READY) is not State.READY:
            return False  # the dependency reported a problem: say we wait for it
        now = time.monotonic()
        since = self._deferred[waiter][0] if waiter in self._deferred else now
        self._deferred[waiter] = (since, dependency)
        return now < self._defer_deadline(waiter)

    def _defer_deadline(self, waiter: ObjectKey) -> float:
        """When silence ends: DEFER_GRACE_SECONDS after it began, or for a dependency the watch has not shown,
        MISSING_GRACE_SECONDS after objects of its kind stopped arriving (its appearance wakes us)."""
        since, dependency = self._deferred[waiter]
        if self.shown(dependency):
            return since + DEFER_GRACE_SECONDS
        quiet_since = max(since, self._arrived.get(dependency.kind, since))
        return min(quiet_since + MISSING_GRACE_SECONDS, since + DEFER_GRACE_SECONDS)

    def _look_again_at(self, waiter: ObjectKey) -> float:
        """When a silent waiter's loop looks again unwoken. For a missing dependency whose kind still arrives
        (the listing at start-up), at twice the time waited so far: its appearance wakes the waiter, so
        looking every MISSING_GRACE_SECONDS would only re-converge every waiter again and again."""
        since, _ = self._deferred[waiter]
        return max(self._defer_deadline(waiter), min(since + 2 * (time.monotonic() - since),
                                                     since + DEFER_GRACE_SECONDS))

    async def _guarded(self, kind: str, step: Callable[[], Awaitable[Outcome]],
                       waiter: ObjectKey | None = None) -> Outcome:
        """Every failure becomes a decision: wait, retry with backoff, or refuse with a condition."""
        try:
            return await step()
        except Waiting as waiting:
            if waiter is not None and self._defers(waiter, waiting):
                return Outcome.waiting(waiting.reason, waiting.message, deferred=True)
            return Outcome.waiting(waiting.reason, waiting.message)
        except Exception as failure:  # never crash the loop on a bug: report it and retry
            outcome = outcome_of(failure)
            if isinstance(failure, STALE):
                self.invalidate_observations()
            if outcome is not None:
                return outcome
            if self.closing:
                return Outcome.retrying("ShuttingDown", "the operator is stopping")
            logger.exception("reconciling a %s failed unexpectedly", kind)
            return Outcome.retrying("InternalError", f"{type(failure).__name__}: {failure}")


def _leaves_it(obj: Object) -> bool:
    """Whether deleting the object leaves what it made as it is (Orphan, or never managed)."""
    spec = obj.spec
    return getattr(spec, "deletion_policy", DeletionPolicy.DELETE) is DeletionPolicy.ORPHAN \
        or getattr(spec, "management_policy", ManagementPolicy.MANAGE) is ManagementPolicy.OBSERVE_ONLY
