"""Status conditions from a reconcile verdict, following kstatus and the Kubernetes API conventions.

Ready and Synced are always present; Reconciling is True while work or waiting is under way,
Stalled while a refusal needs a human. lastTransitionTime only moves when a condition's
status changes, so repeated reconciles do not churn the status.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class State(enum.Enum):
    READY = "ready"            # remote matches the declared state
    WAITING = "waiting"        # a dependency is not ready yet; woken when it is
    RETRYING = "retrying"      # a transient remote failure; retried with backoff
    REFUSED = "refused"        # the spec cannot be applied as it is; needs a human
    PAUSED = "paused"          # qxo.dev/paused: no writes
    DRIFTED = "drifted"        # ObserveOnly: remote differs and is only reported


# The states whose Ready condition is True (ObserveOnly drift is reported, not in the way).
READY_STATES = (State.READY, State.DRIFTED)


@dataclass(frozen=True)
class Verdict:
    state: State
    reason: str
    message: str


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str


@dataclass
class Conditions:
    """The conditions a verdict implies, plus kind-specific ones (Authenticated, PreflightPassed)."""

    verdict: Verdict
    extra: list[Condition] = field(default_factory=list)

    def as_list(self) -> list[Condition]:
        verdict = self.verdict
        ready = "True" if verdict.state in READY_STATES else "False"
        synced = "True" if verdict.state is State.READY else "False"
        reconciling = verdict.state in (State.WAITING, State.RETRYING)
        stalled = verdict.state is State.REFUSED
        ready_condition = Condition("Ready", ready, verdict.reason, verdict.message)
        if verdict.state is State.PAUSED:
            # Paused says nothing new about readiness: report it under Synced only.
            ready_condition = None  # type: ignore[assignment]
        conditions = [
            Condition("Synced", synced, verdict.reason, verdict.message),
            Condition("Reconciling", "True" if reconciling else "False",
                      verdict.reason if reconciling else "Idle", verdict.message if reconciling else ""),
            Condition("Stalled", "True" if stalled else "False",
                      verdict.reason if stalled else "Progressing", verdict.message if stalled else ""),
        ]
        if ready_condition is not None:
            conditions.insert(0, ready_condition)
        return conditions + list(self.extra)


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(
    conditions: Sequence[Condition],
    previous: Sequence[Mapping[str, Any]] | None,
    generation: int,
    now: str | None = None,
) -> list[dict[str, Any]]:
    """The full conditions list for the status (a merge patch replaces the list whole)."""
    now = now or now_rfc3339()
    before = {c.get("type"): c for c in previous or () if isinstance(c, Mapping)}
    rendered = []
    for condition in conditions:
        old = before.pop(condition.type, None)
        unchanged = old is not None and old.get("status") == condition.status
        rendered.append({
            "type": condition.type,
            "status": condition.status,
            "reason": condition.reason,
            "message": condition.message,
            "observedGeneration": generation,
            "lastTransitionTime": (old.get("lastTransitionTime") if unchanged else None) or now,
        })
    # Conditions this verdict does not speak about (Ready while paused) are kept as they were.
    rendered.extend(dict(old) for old in before.values())
    order = {"Ready": 0, "Synced": 1, "Reconciling": 2, "Stalled": 3}
    return sorted(rendered, key=lambda c: (order.get(c["type"], 9), c["type"]))
