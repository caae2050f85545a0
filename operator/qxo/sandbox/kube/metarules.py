"""The ObjectMeta rules of an update, as the generic registry applies them (rest.BeforeUpdate and
ValidateObjectMetaUpdate): what a client may not change, and what the server quietly keeps.

The real server validates an update's metadata twice (once for every kind, once in the kind's own
strategy), so each of these refusals carries its cause twice; the message lists it once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from qxo.admission.causes import go_quote


def _immutable(field: str, shown: str) -> dict[str, str]:
    return {"reason": "FieldValueInvalid", "field": f"metadata.{field}",
            "message": f"Invalid value: {shown}: field is immutable"}


def _go_time(stamp: Any) -> str:
    """metav1.Time as a bad value: its String(), unquoted ("2026-01-01 00:00:00 +0000 UTC")."""
    try:
        moment = dt.datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return go_quote(str(stamp))
    return moment.strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def go_strings(values: list[str]) -> str:
    """A []string as %#v prints it: []string{"a", "b"}."""
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def settle_update(old_meta: dict[str, Any], meta: dict[str, Any]) -> list[dict[str, str]]:
    """Keep what the server keeps (uid when left out, creationTimestamp, deletion fields once set, generation)
    and return the causes of what a client may not change (each twice, as the server reports them)."""
    causes = []
    uid = meta.get("uid")
    if uid and uid != old_meta.get("uid"):
        causes.append(_immutable("uid", go_quote(str(uid))))
    sent_deletion = meta.get("deletionTimestamp")
    if sent_deletion and not old_meta.get("deletionTimestamp"):
        causes.append(_immutable("deletionTimestamp", _go_time(sent_deletion)))
    grace = meta.get("deletionGracePeriodSeconds")
    if grace is not None and old_meta.get("deletionGracePeriodSeconds") not in (None, grace):
        causes.append(_immutable("deletionGracePeriodSeconds", str(grace)))
    if old_meta.get("deletionTimestamp"):
        added = [f for f in meta.get("finalizers") or [] if f not in (old_meta.get("finalizers") or [])]
        if added:
            causes.append({"reason": "FieldValueForbidden", "field": "metadata.finalizers",
                           "message": "Forbidden: no new finalizers can be added if the object is being deleted, "
                                      f"found new finalizers {go_strings(added)}"})
    for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    return [cause for cause in causes for _ in (1, 2)]
