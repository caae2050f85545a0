"""The status patch for an outcome: observedGeneration, the full conditions list and the kind's fields.

Returns None when the status already says all of it, so steady state writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qxo.reconcile.conditions import Conditions, render
from qxo.reconcile.keys import generation
from qxo.reconcile.outcome import Outcome


def status_patch(body: Mapping[str, Any], outcome: Outcome) -> dict[str, Any] | None:
    previous = body.get("status") or {}
    conditions = render(Conditions(outcome.verdict, outcome.extra_conditions).as_list(),
                        previous.get("conditions"), generation(body))
    wanted = {**outcome.status, "observedGeneration": generation(body), "conditions": conditions}
    if all(previous.get(field) == value for field, value in wanted.items()):
        return None
    return wanted


def previous_verdict(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(reason, message) the object last reported under Synced: to post an Event once per refusal."""
    for condition in (body.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Synced":
            return condition.get("reason"), condition.get("message")
    return None, None
