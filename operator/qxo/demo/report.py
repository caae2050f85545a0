"""The demo's results: the closing table for people and the JSON document for programs.

Writes are attributed to the resource they were made for (by the brand path they touched); reads
are the operator's one shared observation of the brand, which no single resource owns.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from qxo.demo.steps import Demo
from qxo.demo.tracker import Resource


def _writes_by_resource(demo: Demo) -> Counter:
    counts: Counter = Counter()
    for entry in demo.audit.entries:
        if entry["method"] == "GET":
            continue
        resource = demo.tracker.attribute(entry)
        counts[resource.key if resource else None] += 1
    return counts


def _condition_summary(resource: Resource) -> str:
    # kstatus's Reconciling and Stalled are abnormal-true: worth a column only when they are not False.
    return " ".join(f"{c['type']}={c['status']}" for c in resource.conditions
                    if not (c["type"] in ("Reconciling", "Stalled") and c["status"] == "False"))


def _salesforce_note(demo: Demo, resource: Resource) -> str | None:
    if resource.kind == "SalesforceLink" and demo.salesforce_reconciled is False:
        return "not reconciled by this build"
    return None


def closing_table(demo: Demo) -> list[str]:
    writes = _writes_by_resource(demo)
    rows = [("KIND", "NAME", "CONDITIONS", "CONVERGED", "WRITES")]
    for resource in demo.tracker.ordered():
        converged = resource.converge_seconds(demo.applied_at)
        conditions = "deleted in step 4" if resource.deleted else (
            _salesforce_note(demo, resource) or _condition_summary(resource))
        rows.append((resource.kind, resource.name, conditions,
                     "-" if converged is None else f"{converged:.1f}s", str(writes.get(resource.key, 0))))
    if writes.get(None):
        rows.append(("(other)", "", "writes for objects outside qxo-demo (step 5's) or for none", "",
                     str(writes[None])))
    rows.append(("(shared)", "brand observation", "reads of the brand, shared by every resource", "",
                 f"{demo.audit.operator.reads} reads"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.append("")
    lines.append("STEP        SECONDS  BRAND READS  BRAND WRITES")
    for step in demo.steps:
        lines.append(f"{step.name:<11} {step.seconds:>7.1f}  {step.brand_reads:>11}  {step.brand_writes:>12}")
    lines.append(f"{'total':<11} {sum(s.seconds for s in demo.steps):>7.1f}  {demo.audit.operator.reads:>11}  "
                 f"{demo.audit.operator.writes:>12}")
    return lines


def document(demo: Demo, uninstalled: dict[str, Any] | None) -> dict[str, Any]:
    writes = _writes_by_resource(demo)
    resources, removed, not_reconciled = [], [], []
    for resource in demo.tracker.ordered():
        entry = {"kind": resource.kind, "namespace": resource.namespace, "name": resource.name,
                 "ready": resource.ready, "conditions": resource.conditions,
                 "converge_seconds": resource.converge_seconds(demo.applied_at),
                 "brand_writes": writes.get(resource.key, 0)}
        if resource.deleted:
            removed.append(entry)
        elif _salesforce_note(demo, resource):
            not_reconciled.append({**entry, "note": _salesforce_note(demo, resource)})
        else:
            resources.append(entry)
    return {
        "resources": resources,
        "removed": removed,
        "not_reconciled": not_reconciled,
        "salesforce_links_reconciled": bool(demo.salesforce_reconciled),
        "converge_seconds": None if demo.converged_at is None else round(demo.converged_at - demo.applied_at, 2),
        "brand_reads": demo.audit.operator.reads,
        "brand_writes": demo.audit.operator.writes,
        "out_of_band_calls": demo.audit.others.reads + demo.audit.others.writes,
        "drift_corrected": demo.drift_corrected,
        "rotations_applied": demo.rotations_applied,
        "uninstalls": demo.uninstalls,
        "uninstalled": uninstalled,
        "steps": [{"name": s.name, "seconds": s.seconds, "brand_reads": s.brand_reads,
                   "brand_writes": s.brand_writes} for s in demo.steps],
    }
