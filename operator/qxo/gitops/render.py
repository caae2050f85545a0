"""Printing a plan: readable text for a pull-request log, or the stable JSON of `--output json`."""

from __future__ import annotations

from typing import Any

from qxo.api.documents import Problem
from qxo.gitops.planner import Plan

_HEAD = {"create": "+", "update": "~", "none": " ", "refused": "!", "blocked": "?"}


def plan_text(plan: Plan) -> str:
    brand = plan.brand
    lines = [f"qxo plan: QualtricsBrand {brand['namespace']}/{brand['name']} (brand {brand['brandId']} at "
             f"{brand['url']}, as {brand['identity']})", ""]
    for r in plan.resources:
        if r.action == "none":
            lines.append(f"  {r.ref}: no changes")
        elif r.action == "refused":
            lines.append(f"! {r.ref}: refused ({r.error['reason']}): {r.error['message']}")
        elif r.action == "blocked":
            lines.append(f"? {r.ref}: blocked: {r.note}")
        else:
            suffix = "" if r.applied else f" [not applied: {r.note}]"
            lines.append(f"{_HEAD[r.action]} {r.ref} ({r.action}){suffix}")
            lines.extend(f"    {change.display()}" for change in r.changes)
    for other in plan.not_planned:
        lines.append(f"  {other['kind']} {other['namespace']}/{other['name']}: not planned (plan covers installs, "
                     "accounts and grants)")
    lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def summary_line(plan: Plan) -> str:
    counts = plan.summary()
    if not plan.changed and not plan.failed:
        extra = f" ({counts['notApplied']} drifted but not applied)" if counts["notApplied"] else ""
        return f"No changes: the brand matches the manifests{extra}."
    parts = [f"{counts['create']} to create", f"{counts['update']} to update", f"{counts['unchanged']} unchanged"]
    parts += [f"{counts[k]} {label}" for k, label in (("notApplied", "not applied"), ("refused", "refused"),
                                                      ("blocked", "blocked")) if counts[k]]
    return "Plan: " + ", ".join(parts) + "."


def error_json(message: str, problems: list[Problem] | None = None) -> dict[str, Any]:
    return {"apiVersion": "qxo.dev/v1alpha1", "kind": "Plan", "exitCode": 1, "error": message,
            "problems": [p.as_json() for p in problems or ()]}
