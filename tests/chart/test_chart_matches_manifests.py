"""The chart's defaults and `kubectl kustomize manifests/` install the same operator: RBAC, Deployment, CRDs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from chartkit import ROOT, find, the

RBAC_KINDS = ("ClusterRole", "Role")
BINDING_KINDS = ("ClusterRoleBinding", "RoleBinding")


def kustomize(relative: str) -> list[dict[str, Any]]:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is required to render manifests/ (kustomize is built into it)")
    result = subprocess.run(["kubectl", "kustomize", str(ROOT / relative)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def rules(docs: list[dict[str, Any]]) -> dict[tuple, list[tuple]]:
    """Every role's rules, keyed by (kind, namespace, name), order-insensitive within a rule."""
    return {
        (doc["kind"], doc["metadata"].get("namespace"), doc["metadata"]["name"]): sorted(
            (tuple(rule.get("apiGroups", ())), tuple(sorted(rule.get("resources", ()))), tuple(sorted(rule["verbs"])))
            for rule in doc["rules"])
        for kind in RBAC_KINDS for doc in find(docs, kind)
    }


def bindings(docs: list[dict[str, Any]]) -> dict[tuple, tuple]:
    return {
        (doc["kind"], doc["metadata"].get("namespace"), doc["metadata"]["name"]): (doc["roleRef"], doc["subjects"])
        for kind in BINDING_KINDS for doc in find(docs, kind)
    }


def operator_shape(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """What matters of the Deployment: everything but labels the tools add."""
    deployment = the(docs, "Deployment")
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    return {
        "name": (deployment["metadata"]["name"], deployment["metadata"]["namespace"]),
        "replicas": spec["replicas"], "strategy": spec["strategy"], "selector": spec["selector"],
        "annotations": spec["template"]["metadata"]["annotations"],
        "pod": {key: pod.get(key) for key in ("serviceAccountName", "automountServiceAccountToken",
                                              "terminationGracePeriodSeconds", "securityContext", "volumes",
                                              "nodeSelector", "tolerations", "affinity")},
        "container": container,
    }


@pytest.fixture(scope="module")
def kustomized():
    return kustomize("manifests")


@pytest.fixture(scope="module")
def helmed(render):
    return render(crds=True)


def test_same_roles_with_the_same_rules(kustomized, helmed):
    assert rules(helmed) == rules(kustomized)


def test_same_bindings_to_the_same_account(kustomized, helmed):
    assert bindings(helmed) == bindings(kustomized)


def test_same_service_account(kustomized, helmed):
    assert the(helmed, "ServiceAccount")["metadata"]["name"] == the(kustomized, "ServiceAccount")["metadata"]["name"]


def test_same_deployment_security_contexts_args_probes_and_image(kustomized, helmed):
    assert operator_shape(helmed) == operator_shape(kustomized)


def test_same_crds(kustomized, helmed):
    def specs(docs):
        return {doc["metadata"]["name"]: doc["spec"] for doc in find(docs, "CustomResourceDefinition")}
    assert specs(helmed) == specs(kustomized)
    assert len(specs(helmed)) == 7


def test_namespaced_mode_matches_the_namespaced_overlay(render):
    overlay = kustomize("manifests/overlays/namespaced")
    chart = render(watch__allNamespaces=False, watch__namespaces=["team-a", "team-b"],
                   tenants=[{"namespace": "team-a", "salesforceLinks": True},
                            {"namespace": "team-b", "salesforceLinks": True}])
    assert rules(chart) == rules(overlay)
    assert bindings(chart) == bindings(overlay)
    assert operator_shape(chart) == operator_shape(overlay)


def test_the_only_default_object_the_chart_leaves_out_is_the_namespace(kustomized, helmed):
    def keys(docs):
        return {(doc["kind"], doc["metadata"]["name"]) for doc in docs}
    # Helm creates the release namespace itself (--create-namespace); the chart README says how to label it.
    assert keys(kustomized) - keys(helmed) == {("Namespace", "qxo-system")}
    assert keys(helmed) - keys(kustomized) == set()


def test_chart_crds_are_the_generated_crds():
    # No helm needed: charts/qxo/crds/ is written by `make crds` next to crds/.
    chart_crds = sorted(Path(ROOT / "charts" / "qxo" / "crds").glob("*.yaml"))
    generated = sorted(p for p in (ROOT / "crds").glob("qxo.dev_*.yaml"))
    assert [p.name for p in chart_crds] == [p.name for p in generated]
    for chart_crd, crd in zip(chart_crds, generated, strict=True):
        assert chart_crd.read_bytes() == crd.read_bytes(), f"charts/qxo/crds/{crd.name} is stale: run `make crds`"
