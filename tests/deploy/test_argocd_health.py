"""The ArgoCD health script against fixtures of real status documents, in ArgoCD's sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from argocd_lua import HealthScript
from lupa import lua51

from conftest import ROOT
from qxo.api.validation import validate_paths

SCRIPT = ROOT / "manifests" / "argocd" / "qxo-health.lua"
FIXTURES = sorted((Path(__file__).parent / "health-fixtures").glob("*.yaml"))
KINDS = ["QualtricsBrand", "ExtensionInstall", "ExtensionAccount", "AccountGrant", "SalesforceLink"]
STATUSES = {"Healthy", "Progressing", "Degraded", "Suspended"}
# The decisions every kind must be shown making, by fixture name.
COMMON_CASES = [
    "healthy",
    "paused-annotation",
    "paused-condition",
    "deleting",
    "no-status",
    "generation-behind",
    "stalled",
    "stalled-without-message",
    "reconciling",
    "ready-waiting",
    "ready-refused",
    "ready-unknown",
    "ready-missing",
    "synced-failed",
    "synced-waiting",
    "synced-missing",
]
KIND_CASES = {
    "QualtricsBrand": ["authenticated-false", "authenticated-waiting"],
    "SalesforceLink": ["preflight-failed", "authenticated-false", "preflight-waiting"],
}


def load_fixture(path: Path) -> dict:
    fixture = yaml.safe_load(path.read_text())
    assert set(fixture) == {"description", "expected", "object"}, path.name
    assert set(fixture["expected"]) == {"status", "message"}, path.name
    return fixture


@pytest.fixture(scope="module")
def script():
    return HealthScript.load(SCRIPT)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture(script, path):
    fixture = load_fixture(path)
    assert script.evaluate(fixture["object"]) == fixture["expected"], fixture["description"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_decision_has_a_fixture_for_every_kind(kind):
    names = {path.stem for path in FIXTURES}
    for case in COMMON_CASES + KIND_CASES.get(kind, []):
        assert f"{kind.lower()}-{case}" in names, f"missing fixture {kind.lower()}-{case}.yaml"


def test_fixtures_are_real_qxo_objects_with_every_status():
    seen = set()
    for path in FIXTURES:
        fixture = load_fixture(path)
        obj = fixture["object"]
        assert obj["apiVersion"] == "qxo.dev/v1alpha1"
        assert obj["kind"] in KINDS
        assert path.stem.startswith(obj["kind"].lower() + "-")
        assert fixture["expected"]["status"] in STATUSES
        seen.add(fixture["expected"]["status"])
    assert seen == STATUSES


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_objects_are_valid_against_the_shipped_crds(path, tmp_path):
    # Spec and status are checked against crds/ (schema and CEL) the way admission would:
    # the fixtures are documents the operator can really write, not shapes made up here.
    manifest = tmp_path / path.name
    manifest.write_text(yaml.safe_dump(load_fixture(path)["object"]))
    report = validate_paths([str(manifest)])
    assert report.valid, [problem.display() for problem in report.problems]


def test_fixtures_reach_every_line_and_function_of_the_script():
    # A fresh runtime, so the coverage comes from the fixtures alone.
    script = HealthScript.load(SCRIPT)
    for path in FIXTURES:
        script.evaluate(load_fixture(path)["object"])
    assert script.uncovered_lines() == []
    assert script.functions_never_entered() == []


def test_observed_generation_decides_before_any_condition(script):
    # A stale Stalled=True from the previous generation must not show as Degraded.
    fixture = load_fixture(Path(__file__).parent / "health-fixtures" / "extensioninstall-stalled.yaml")
    obj = fixture["object"]
    obj["metadata"]["generation"] = obj["status"]["observedGeneration"] + 1
    assert script.evaluate(obj)["status"] == "Progressing"


def test_the_sandbox_has_no_string_library():
    # Proves the harness enforces ArgoCD's limits: a script using them fails here too.
    for source in ('return {status = string.sub("Healthy", 1)}', 'return {status = ("Healthy"):sub(1)}'):
        with pytest.raises(lua51.LuaError):
            HealthScript(source).evaluate({"kind": "QualtricsBrand"})


def test_generations_decoded_as_strings_still_compare_as_numbers(script):
    # ArgoCD hands json.Number values to Lua as strings; "10" < "9" would be wrong.
    fixture = load_fixture(Path(__file__).parent / "health-fixtures" / "accountgrant-healthy.yaml")
    obj = fixture["object"]
    obj["metadata"]["generation"], obj["status"]["observedGeneration"] = "10", "9"
    assert script.evaluate(obj) == {"status": "Progressing", "message": "Waiting for qxo to observe generation 10"}
    obj["status"]["observedGeneration"] = "10"
    assert script.evaluate(obj)["status"] == "Healthy"
