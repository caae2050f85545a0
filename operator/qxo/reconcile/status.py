"""The status patch for an outcome: observedGeneration, the full conditions list and the kind's fields.

Returns None when the status already says all of it, so steady state writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qxo.reconcile.conditions import Conditions, render
from qxo.reconcile.keys import ObjectKey, generation
from qxo.reconcile.outcome import Outcome


class WrittenStatuses:
    """The status each object's loop last patched, until the watch shows a newer object.

    Under load an object can converge again before the watch delivers its previous status
    patch; diffing against that stale body would write the same status twice, with a new
    lastTransitionTime. While the body is the one the last patch was computed from, the
    patches written on top of it are known to hold. Only the patches are kept (merged when
    several went out on one body), not a copy of the body's status with them.
    """

    def __init__(self) -> None:
        self._written: dict[ObjectKey, tuple[str | None, Mapping[str, Any]]] = {}

    def previous(self, key: ObjectKey, body: Mapping[str, Any]) -> Mapping[str, Any]:
        status = body.get("status") or {}
        written = self._written.get(key)
        if written is None:
            return status
        if written[0] != _resource_version(body):
            del self._written[key]  # the watch has caught up: the body is the truth again
            return status
        return {**status, **written[1]}

    def wrote(self, key: ObjectKey, body: Mapping[str, Any], patch: Mapping[str, Any]) -> None:
        """`patch` went out for this body (on top of what `previous()` returned for it)."""
        version = _resource_version(body)
        written = self._written.get(key)
        if written is not None and written[0] == version:
            patch = {**written[1], **patch}  # an earlier patch on the same body still holds under this one
        self._written[key] = (version, patch)

    def saw(self, key: ObjectKey, body: Mapping[str, Any]) -> None:
        """A body on the watch: once it is newer than the one the last patch was computed from, that
        patch is in it (or superseded), so nothing need be held for the object any more."""
        written = self._written.get(key)
        if written is not None and written[0] != _resource_version(body):
            del self._written[key]

    def forget(self, key: ObjectKey) -> None:
        self._written.pop(key, None)

    def __len__(self) -> int:
        return len(self._written)


def _resource_version(body: Mapping[str, Any]) -> str | None:
    return (body.get("metadata") or {}).get("resourceVersion")


def status_patch(body: Mapping[str, Any], outcome: Outcome,
                 previous: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """`previous` is the status to diff against when the body's may be stale (WrittenStatuses)."""
    if previous is None:
        previous = body.get("status") or {}
    conditions = render(Conditions(outcome.verdict, outcome.extra_conditions).as_list(),
                        previous.get("conditions"), generation(body))
    wanted = {**outcome.status, "observedGeneration": generation(body), "conditions": conditions}
    if all(previous.get(field) == value for field, value in wanted.items()):
        return None
    return wanted


def previous_verdict(status: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(reason, message) the object last reported under Synced: to post an Event once per refusal."""
    for condition in status.get("conditions") or ():
        if condition.get("type") == "Synced":
            return condition.get("reason"), condition.get("message")
    return None, None
