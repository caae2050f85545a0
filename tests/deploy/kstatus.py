"""kstatus's generic status rules for custom resources, as Flux applies them without expressions.

Written from kstatus's documented behaviour (sigs.k8s.io/cli-utils, pkg/kstatus): deletion,
then observedGeneration, then Reconciling and Stalled; anything else is Current. It
never reads Ready, which is why qxo's status contract sets Reconciling while it works.
"""

from __future__ import annotations


def compute(obj: dict) -> str:
    metadata, status = obj.get("metadata", {}), obj.get("status", {})
    if metadata.get("deletionTimestamp"):
        return "Terminating"
    generation, observed = metadata.get("generation"), status.get("observedGeneration")
    if generation is not None and observed is not None and observed != generation:
        return "InProgress"
    for condition in status.get("conditions", []):
        if condition["type"] == "Reconciling" and condition["status"] == "True":
            return "InProgress"
        if condition["type"] == "Stalled" and condition["status"] == "True":
            return "Failed"
    return "Current"


def follows_qxo_contract(obj: dict) -> bool:
    """True when the status is one qxo's operator writes: kstatus can then judge it alone.

    The contract: observedGeneration on every write, Reconciling=True whenever the object
    is not Ready-and-Synced and not Stalled, never Reconciling and Stalled together, and
    Stalled=True when a credential or preflight check fails for a reason other than waiting.
    """
    status = obj.get("status")
    if not status or "observedGeneration" not in status:
        return False
    conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
    failed_check = any(
        c["type"] in ("Authenticated", "PreflightPassed")
        and c["status"] == "False"
        and not c["reason"].startswith("Waiting")
        for c in status.get("conditions", [])
    )
    settled = conditions.get("Ready") == "True" and conditions.get("Synced") == "True"
    stalled, reconciling = conditions.get("Stalled") == "True", conditions.get("Reconciling") == "True"
    if (stalled and reconciling) or (failed_check and not stalled):
        return False
    return settled or stalled or reconciling or status["observedGeneration"] != obj["metadata"].get("generation")
