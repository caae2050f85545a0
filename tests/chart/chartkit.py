"""Helpers for the chart tests: where things are, and finding rendered objects."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / "hack" / "helm"
CHART = ROOT / "charts" / "qxo"
RELEASE_NAMESPACE = "qxo-system"
HOW_TO_ENABLE = "install Go (the version in hack/go.mod) and run `hack/helm version` once to build helm"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def refusal(helm, *set_json: str) -> str:
    """helm template's error for values the chart must refuse (fails when it renders)."""
    args = ["template", "qxo", str(CHART), "--namespace", RELEASE_NAMESPACE]
    for item in set_json:
        args += ["--set-json", item]
    result = helm(*args, check=False)
    assert result.returncode != 0, f"the chart rendered {set_json} instead of refusing it"
    return result.stderr


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None,
         namespace: str | None = None) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind
            and (name is None or d["metadata"]["name"] == name)
            and (namespace is None or d["metadata"].get("namespace") == namespace)]


def the(docs: list[dict[str, Any]], kind: str, name: str | None = None, namespace: str | None = None) -> dict:
    found = find(docs, kind, name, namespace)
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]
