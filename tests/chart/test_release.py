"""`make release VERSION=X.Y.Z`: CRD bundle, install bundle and packaged chart, all at that version."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml
from apitypes import problems
from chartkit import CHART, ROOT, find, the

import qxo


def load(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@pytest.fixture(scope="module")
def released(helm, tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run(["make", "--no-print-directory", "release", "VERSION=9.9.9", f"DIST={dist}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return dist


def test_release_writes_the_bundles_the_chart_and_their_checksums(released):
    assert sorted(p.name for p in released.iterdir()) == [
        "SHA256SUMS", "qxo-9.9.9.tgz", "qxo-crds.yaml", "qxo-install.yaml"]
    sums = subprocess.run(["sha256sum", "--check", "SHA256SUMS"], cwd=released, capture_output=True, text=True)
    assert sums.returncode == 0, sums.stdout + sums.stderr


def test_crd_bundle_holds_exactly_the_generated_crds(released):
    docs = load(released / "qxo-crds.yaml")
    assert {doc["kind"] for doc in docs} == {"CustomResourceDefinition"}
    generated = {yaml.safe_load(p.read_text())["metadata"]["name"]: yaml.safe_load(p.read_text())["spec"]
                 for p in (ROOT / "crds").glob("qxo.dev_*.yaml")}
    assert {doc["metadata"]["name"]: doc["spec"] for doc in docs} == generated


def test_install_bundle_is_namespace_rbac_and_the_operator_at_the_release_version(released):
    docs = load(released / "qxo-install.yaml")
    assert docs[0]["kind"] == "Namespace", "kubectl apply -f creates the namespace before what lives in it"
    assert {doc["kind"] for doc in docs} == {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                                             "Role", "RoleBinding", "Deployment", "NetworkPolicy",
                                             "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}
    (container,) = the(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "qxo:9.9.9"
    assert [p for doc in docs for p in problems(doc)] == []


def test_packaged_chart_is_at_the_release_version_and_deploys_it(released, helm):
    chart = released / "qxo-9.9.9.tgz"
    meta = yaml.safe_load(helm("show", "chart", str(chart)).stdout)
    assert (meta["version"], meta["appVersion"]) == ("9.9.9", "9.9.9")
    docs = [doc for doc in yaml.safe_load_all(helm("template", "qxo", str(chart), "--include-crds").stdout) if doc]
    (container,) = the(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "qxo:9.9.9"
    assert len(find(docs, "CustomResourceDefinition")) == 7
    with tarfile.open(chart) as archive:
        names = set(archive.getnames())
    assert {"qxo/Chart.yaml", "qxo/values.schema.json", "qxo/README.md", "qxo/files/prometheus-rules.yaml",
            "qxo/files/grafana-dashboard.json"} <= names


def test_release_for_another_registry_points_bundle_and_chart_at_it(helm, tmp_path):
    result = subprocess.run(["make", "--no-print-directory", "release", "VERSION=1.0.0-rc.1",
                             "IMAGE=registry.example/platform/qxo", f"DIST={tmp_path}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    (container,) = the(load(tmp_path / "qxo-install.yaml"), "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example/platform/qxo:1.0.0-rc.1"
    docs = yaml.safe_load_all(helm("template", "qxo", str(tmp_path / "qxo-1.0.0-rc.1.tgz")).stdout)
    (container,) = the([d for d in docs if d], "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example/platform/qxo:1.0.0-rc.1"


@pytest.mark.parametrize(("args", "message"), [
    (["VERSION=v1.2"], "VERSION: 'v1.2' is not a semantic version"),
    (["VERSION=1.2.3", "IMAGE=Bad Image"], "IMAGE: 'Bad Image' is not an image repository"),
])
def test_release_refuses_a_bad_version_or_image_naming_it(tmp_path, args, message):
    result = subprocess.run(["make", "--no-print-directory", "release", *args, f"DIST={tmp_path}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == [], "nothing written for a refused release"


def test_the_version_lives_in_one_place_and_everything_in_the_tree_agrees():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert (chart["version"], chart["appVersion"]) == (qxo.__version__, qxo.__version__)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and 'attr = "qxo.__version__"' in pyproject
    from importlib.metadata import version
    assert version("qxo") == qxo.__version__
