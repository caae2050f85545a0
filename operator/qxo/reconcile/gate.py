"""The one place writes are gated: a plan is applied, or only reported when paused or ObserveOnly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from qxo.api.common import ManagementPolicy
from qxo.reconcile.conditions import State, Verdict
from qxo.reconcile.outcome import Outcome
from qxo.reconcile.protocol import Action, Object


async def carry_out(obj: Object, actions: Sequence[Action], apply_one: Callable[[Action], Awaitable[Any]]) -> Outcome:
    """Apply `actions` in order (Ready, naming each change), or report them as pending or as drift."""
    if not actions:
        return Outcome.ready()
    pending = [action.describe() for action in actions]
    if obj.paused:
        return Outcome(Verdict(State.PAUSED, "Paused", "qxo.dev/paused is set; pending: " + "; ".join(pending)),
                       drift=pending)
    if getattr(obj.spec, "management_policy", ManagementPolicy.MANAGE) is ManagementPolicy.OBSERVE_ONLY:
        return Outcome(Verdict(State.DRIFTED, "DriftDetected",
                               "ObserveOnly: the brand differs from the spec: " + "; ".join(pending)), drift=pending)
    changes = []
    for action in actions:
        await apply_one(action)
        changes.append(action.describe())
    return Outcome.ready(changes=changes)
