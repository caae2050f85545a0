"""kstatus agrees with the ArgoCD check on every status that follows qxo's contract.

Where a status breaks the contract (Ready False with no Reconciling), kstatus calls it
Current: the gap the Flux example closes with healthCheckExprs (docs/gitops.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kstatus import compute, follows_qxo_contract

FIXTURES = sorted((Path(__file__).parent / "health-fixtures").glob("*.yaml"))
ARGO_TO_KSTATUS = {"Healthy": "Current", "Progressing": "InProgress", "Degraded": "Failed"}


def _fixtures(predicate):
    cases = []
    for path in FIXTURES:
        fixture = yaml.safe_load(path.read_text())
        obj = fixture["object"]
        paused = fixture["expected"]["status"] == "Suspended" or "deletionTimestamp" in obj["metadata"]
        if not paused and predicate(obj):
            cases.append(pytest.param(fixture, id=path.stem))
    return cases


@pytest.mark.parametrize("fixture", _fixtures(follows_qxo_contract))
def test_kstatus_matches_argocd_when_the_contract_holds(fixture):
    assert compute(fixture["object"]) == ARGO_TO_KSTATUS[fixture["expected"]["status"]], fixture["description"]


@pytest.mark.parametrize("fixture", _fixtures(lambda obj: not follows_qxo_contract(obj) and "status" in obj))
def test_kstatus_alone_misses_a_not_ready_object_that_breaks_the_contract(fixture):
    assert fixture["expected"]["status"] != "Healthy"
    assert compute(fixture["object"]) == "Current"


def test_kstatus_counts_an_object_without_status_as_current():
    # The race the Flux example's healthCheckExprs close: applied, not yet seen by qxo.
    (path,) = [p for p in FIXTURES if p.stem == "qualtricsbrand-no-status"]
    fixture = yaml.safe_load(path.read_text())
    assert fixture["expected"]["status"] == "Progressing"
    assert compute(fixture["object"]) == "Current"
