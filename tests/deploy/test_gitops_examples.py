"""The GitOps pieces: argocd-cm generated from the Lua, sync waves, and Flux's ordering and health."""

from __future__ import annotations

import shutil
from pathlib import Path

import celpy
import pytest
import yaml
from argocd_cm import KINDS, health_key, render

from conftest import ROOT, kustomize

ARGOCD = ROOT / "manifests" / "argocd"
FLUX = ROOT / "manifests" / "flux" / "qxo-acme.yaml"
FIXTURES = sorted((Path(__file__).parent / "health-fixtures").glob("*.yaml"))
WAVES = {"Secret": -1, "QualtricsBrand": 0, "ExtensionInstall": 1, "ExtensionAccount": 2, "AccountGrant": 3,
         "SalesforceLink": 3}  # fmt: skip
ARGO_TO_FLUX = {"Healthy": "Current", "Progressing": "InProgress", "Degraded": "Failed"}


def test_argocd_cm_is_generated_from_the_lua():
    lua_source = (ARGOCD / "qxo-health.lua").read_text()
    text = (ARGOCD / "argocd-cm.yaml").read_text()
    assert text == render(lua_source), "regenerate with: python tests/deploy/argocd_cm.py"
    config_map = yaml.safe_load(text)
    assert config_map["metadata"] == {**config_map["metadata"], "name": "argocd-cm", "namespace": "argocd"}
    assert config_map["data"] == {health_key(kind): lua_source for kind in KINDS}


def test_application_syncs_automatically_into_a_namespace_with_secret_access(render):
    application = yaml.safe_load((ARGOCD / "application.yaml").read_text())
    assert application["apiVersion"] == "argoproj.io/v1alpha1" and application["kind"] == "Application"
    assert application["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    namespace = application["spec"]["destination"]["namespace"]
    readers = [
        doc
        for doc in render("manifests")
        if doc["kind"] == "Role"
        and doc["metadata"]["name"] == "qxo-operator-reference-reader"
        and doc["metadata"]["namespace"] == namespace
    ]
    assert readers, f"the default install cannot read Secrets in {namespace}"


def _brand_tree(directory: Path) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "acme-api-token"}}
    docs = [{**secret, "stringData": {"token": "not-a-real-token"}}]
    for kind in KINDS:
        metadata = {"name": kind.lower(), "annotations": {"team": "cx-platform"}}
        docs.append({"apiVersion": "qxo.dev/v1alpha1", "kind": kind, "metadata": metadata, "spec": {}})
    (directory / "brand.yaml").write_text(yaml.safe_dump_all(docs))
    shutil.copytree(ARGOCD / "sync-waves", directory / "sync-waves")
    (directory / "kustomization.yaml").write_text(
        yaml.safe_dump({"resources": ["brand.yaml"], "components": ["sync-waves"]})
    )


def test_sync_waves_component_orders_a_brand_tree(tmp_path):
    _brand_tree(tmp_path)
    for doc in kustomize(tmp_path):
        annotations = doc["metadata"]["annotations"]
        assert annotations["argocd.argoproj.io/sync-wave"] == str(WAVES[doc["kind"]]), doc["kind"]
        if doc["kind"] in KINDS:
            assert annotations["team"] == "cx-platform", "the component keeps the user's own annotations"


@pytest.fixture(scope="module")
def flux_docs():
    return list(yaml.safe_load_all(FLUX.read_text()))


@pytest.fixture(scope="module")
def flux_kustomizations(flux_docs):
    return {doc["metadata"]["name"]: doc for doc in flux_docs if doc["kind"] == "Kustomization"}


def _depth(name: str, kustomizations: dict) -> int:
    depends = kustomizations[name]["spec"].get("dependsOn", [])
    return 1 + max((_depth(d["name"], kustomizations) for d in depends), default=-1)


def _kind_of(kustomization: dict) -> str:
    (expression,) = kustomization["spec"]["healthCheckExprs"]
    return expression["kind"]


def test_flux_orders_layers_as_the_argocd_waves_do(flux_kustomizations):
    depth_by_kind = {_kind_of(k): _depth(name, flux_kustomizations) for name, k in flux_kustomizations.items()}
    assert depth_by_kind == {kind: WAVES[kind] for kind in KINDS}


def test_every_flux_layer_waits_for_health(flux_kustomizations, flux_docs):
    (source,) = [doc for doc in flux_docs if doc["kind"] == "GitRepository"]
    for name, kustomization in flux_kustomizations.items():
        spec = kustomization["spec"]
        assert spec.get("wait") is True or spec.get("healthChecks"), name
        assert spec["sourceRef"] == {"kind": "GitRepository", "name": source["metadata"]["name"]}
        assert spec["prune"] is True and spec["timeout"]


def flux_status(expression: dict, obj: dict) -> str:
    """Flux's CEL health: inProgress, then failed, then current; an error keeps it waiting."""
    environment = celpy.Environment()
    activation = {key: celpy.json_to_cel(value) for key, value in obj.items()}
    for field, status in (("inProgress", "InProgress"), ("failed", "Failed"), ("current", "Current")):
        program = environment.program(environment.compile(expression[field]))
        try:
            value = program.evaluate(activation)
        except celpy.CELEvalError:
            return "InProgress"
        if isinstance(value, celpy.CELEvalError):
            return "InProgress"
        if value:
            return status
    return "InProgress"


def _comparable_fixtures():
    for path in FIXTURES:
        fixture = yaml.safe_load(path.read_text())
        # Flux has no "suspended" health and skips objects being deleted.
        if fixture["expected"]["status"] in ARGO_TO_FLUX and "deletionTimestamp" not in fixture["object"]["metadata"]:
            yield pytest.param(fixture, id=path.stem)


@pytest.mark.parametrize("fixture", list(_comparable_fixtures()))
def test_flux_health_agrees_with_argocd_health(fixture, flux_kustomizations):
    obj = fixture["object"]
    (kustomization,) = [k for k in flux_kustomizations.values() if _kind_of(k) == obj["kind"]]
    (expression,) = kustomization["spec"]["healthCheckExprs"]
    assert flux_status(expression, obj) == ARGO_TO_FLUX[fixture["expected"]["status"]], fixture["description"]
