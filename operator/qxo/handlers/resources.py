"""For each kind in the table (qxo.reconcile.registry): note every watch event, run one converge loop per
object, finalize on delete.

The converge loop is a kopf timer whose handler sleeps until the object is woken (its own change,
a dependency becoming ready, a Secret rotation, a brand resync), so it is the only writer of the
object's status and never polls the brand. It hands back to kopf only to write a status or to
retry, so wake-ups that change nothing cost no kopf handler call. Why a timer, and not a daemon or
on.create/on.update: docs/architecture.md, "The handler shape".
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Mapping
from typing import Any

import kopf

from qxo import API_GROUP, API_VERSION
from qxo.observability import logs, metrics
from qxo.reconcile.conditions import State
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.outcome import Outcome
from qxo.reconcile.protocol import Kind
from qxo.reconcile.registry import KINDS
from qxo.reconcile.runtime import Runtime
from qxo.reconcile.status import previous_verdict, status_patch


def backoff(retry: int, suggested: float | None) -> float:
    """Exponential backoff with full jitter, at least what the brand asked for (Retry-After)."""
    ceiling = min(300.0, 2.0 ** min(retry, 8))
    return max(suggested or 0.0, random.uniform(ceiling / 2, ceiling))


def report(body: kopf.Body, outcome: Outcome, previous: Mapping[str, Any]) -> None:
    """One Event per converge that changed the brand, naming each change; one per refusal (not per retry)."""
    if outcome.changes:
        kopf.info(body, reason="Changed", message="; ".join(outcome.changes))
    if outcome.state in (State.REFUSED, State.DRIFTED, State.PAUSED):
        if previous_verdict(previous) != (outcome.verdict.reason, outcome.verdict.message):
            kopf.warn(body, reason=outcome.verdict.reason, message=outcome.verdict.message)


def record(kind: str, key: ObjectKey, body: kopf.Body, outcome: Outcome, status: dict | None,
           seconds: float) -> None:
    """Metrics for one converge: its result, drift found and corrected, rotations, conditions now held."""
    metrics.reconcile_finished(kind, "deferred" if outcome.deferred else outcome.state.value, seconds)
    previous = (body.get("status") or {}).get("observedGeneration") == body.meta.get("generation")
    if outcome.drift:
        metrics.drift(kind, detected=len(outcome.drift), corrected=0)
    elif outcome.changes and previous:
        # Changes to an object already converged at this generation are drift put right.
        metrics.drift(kind, detected=len(outcome.changes), corrected=len(outcome.changes))
    for _ in range(outcome.rotations):
        metrics.rotation(kind)
    conditions = (status or body.get("status") or {}).get("conditions") or ()
    metrics.resource_conditions(kind, f"{key.namespace}/{key.name}", conditions)


async def converge_once(kind: str, key: ObjectKey, body: kopf.Body, patch: kopf.Patch, runtime: Runtime,
                        retry: int) -> bool:
    """Converge the object once; True when the handler must return to kopf to write its status."""
    started = time.monotonic()
    with logs.bind(kind=kind, namespace=key.namespace, name=key.name, generation=body.meta.get("generation"),
                   request_id=uuid.uuid4().hex[:12]):
        outcome = await runtime.converge(kind, body)
    if outcome.deferred:  # waiting for a dependency still converging: nothing to say yet
        record(kind, key, body, outcome, None, time.monotonic() - started)
        return False
    previous = runtime.statuses.previous(key, body)
    status = status_patch(body, outcome, previous)
    if status is not None:
        patch.status.update(status)
        runtime.statuses.wrote(key, body, status)
    record(kind, key, body, outcome, status, time.monotonic() - started)
    report(body, outcome, previous)
    if outcome.retry:
        runtime.wakeups.wake(key)  # the retry itself must not wait for another wake-up
        raise kopf.TemporaryError(outcome.verdict.message, delay=backoff(retry, outcome.retry_after))
    # After a retry, hand back too, so kopf counts the next failure's backoff from the start.
    return status is not None or retry > 0


def register(entry: Kind) -> None:
    """kopf's handlers for one kind of the table."""
    kind, plural = entry.name, entry.plural
    metrics.allow_kind(kind)

    # async, though it never awaits: kopf runs a sync handler in a thread pool, a hop per watch event.
    @kopf.on.event(API_GROUP, API_VERSION, plural, id=f"{plural}-seen")
    async def seen(body: kopf.Body, type: str | None, memo: kopf.Memo, **_) -> None:
        memo.runtime.saw(kind, body, deleted=type == "DELETED")

    @kopf.timer(API_GROUP, API_VERSION, plural, id="converge", interval=0.2,
                initial_delay=lambda **_: random.uniform(0, 0.5))
    async def converge(body: kopf.Body, patch: kopf.Patch, stopped: kopf.DaemonStopped, memo: kopf.Memo,
                       retry: int, **_) -> None:
        # One call converges as often as the object is woken and returns to kopf only when there
        # is a status to write (kopf applies a handler's patch when it returns) or a retry to
        # schedule: a wake-up that changes nothing costs no handler call. `body` is kopf's live
        # view of the object, kept current by the watch.
        del _  # kopf's other kwargs, in a dict of their own: not held while every object's loop sleeps
        runtime = memo.runtime
        key = ObjectKey.of(kind, body)
        with runtime.wakeups.stop_on(key, stopped):
            while not body.meta.get("deletionTimestamp"):
                await runtime.wakeups.wait(key, timeout=runtime.wait_seconds(key))
                if stopped or body.meta.get("deletionTimestamp"):
                    return
                if await converge_once(kind, key, body, patch, runtime, retry):
                    return

    @kopf.on.delete(API_GROUP, API_VERSION, plural, id="finalize")
    async def finalize(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, retry: int, **_) -> None:
        key = ObjectKey.of(kind, body)
        with logs.bind(kind=kind, namespace=key.namespace, name=key.name, request_id=uuid.uuid4().hex[:12]):
            outcome = await memo.runtime.finalize(kind, body)
        report(body, outcome, body.get("status") or {})
        if outcome.state in (State.READY, State.REFUSED):
            metrics.resource_deleted(kind, f"{key.namespace}/{key.name}")
        if outcome.state is State.REFUSED:
            # Holding the finalizer would not help: let the object go, say what stays behind.
            kopf.warn(body, reason="LeftBehind", message=outcome.verdict.message)
            return
        if outcome.state is not State.READY:
            status = status_patch(body, outcome)
            if status is not None:
                patch.status.update(status)
            raise kopf.TemporaryError(outcome.verdict.message, delay=backoff(retry, outcome.retry_after))


for _entry in KINDS:
    register(_entry)
