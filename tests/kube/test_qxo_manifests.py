"""qxo's own CRDs and examples through kubectl, and every schema-layer malformed fixture refused naming its field.

crds/, examples/ and tests/fixtures/malformed/ come from other branches; until they are merged these
tests have nothing to check and are skipped.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from qxo.sandbox.kube import KubeSandbox

ROOT = Path(__file__).resolve().parents[2]
CRDS, EXAMPLES, MALFORMED = ROOT / "crds", ROOT / "examples", ROOT / "tests" / "fixtures" / "malformed"

pytestmark = pytest.mark.slow


def _schema_fixtures() -> list[Path]:
    if not MALFORMED.is_dir():
        return []
    return [p for p in sorted(MALFORMED.glob("*.yaml")) if p.read_text().splitlines()[1:2] == ["# layer: schema"]]


@pytest.fixture(scope="module")
def qxo_sandbox(tmp_path_factory):
    if not CRDS.is_dir():
        pytest.skip("crds/ is not on this branch yet")
    tmp = tmp_path_factory.mktemp("qxo")
    with KubeSandbox.run_in_thread(kubeconfig_path=tmp / "kubeconfig") as handle:
        env = {**os.environ, "KUBECONFIG": handle.kubeconfig_path, "KUBECACHEDIR": str(tmp / "cache")}

        def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, timeout=60)

        applied = kubectl("apply", *[arg for crd in sorted(CRDS.glob("qxo.dev_*.yaml")) for arg in ("-f", str(crd))])
        assert applied.returncode == 0, applied.stderr
        yield handle.url, kubectl


def _send(url: str, method: str, path: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@functools.cache
def _plurals() -> dict[tuple[str, str], str]:
    """(apiVersion, kind) -> plural, from the CRDs on disk."""
    out = {}
    for path in CRDS.glob("*.yaml"):
        for crd in yaml.safe_load_all(path.read_text()):
            if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                out[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = spec["names"]["plural"]
    return out


def test_examples_apply_and_get_qualtrics_shows_printer_columns(qxo_sandbox):
    if not EXAMPLES.is_dir():
        pytest.skip("examples/ is not on this branch yet")
    _, kubectl = qxo_sandbox
    # Every example, examples/tenancy's included; the sandbox serves no RBAC, so its team bindings are left out.
    applied = kubectl("apply", "-R", *[arg for path in sorted(EXAMPLES.rglob("*.yaml"))
                                       if path.name != "05-team-access.yaml" for arg in ("-f", str(path))])
    assert applied.returncode == 0, applied.stderr
    listed = kubectl("get", "qualtrics", "-A")
    assert listed.returncode == 0, listed.stderr
    header = listed.stdout.splitlines()[0].split()
    assert {"READY", "SYNCED", "AGE"} <= set(header)


@pytest.mark.parametrize("fixture", _schema_fixtures(), ids=lambda p: p.name)
def test_malformed_fixture_is_refused_naming_its_field(qxo_sandbox, fixture):
    """Sent straight to the server (kubectl refuses a few locally, which would prove nothing about us)."""
    url, _ = qxo_sandbox
    field = fixture.read_text().splitlines()[0].removeprefix("# field:").strip()
    plurals = _plurals()
    for doc in yaml.safe_load_all(fixture.read_text()):
        if not isinstance(doc, dict) or (doc.get("apiVersion"), doc.get("kind")) not in plurals:
            continue
        namespace = (doc.get("metadata") or {}).get("namespace") or "default"
        _send(url, "POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
        plural = plurals[(doc["apiVersion"], doc["kind"])]
        status, body = _send(url, "POST", f"/apis/{doc['apiVersion']}/namespaces/{namespace}/{plural}"
                                          "?fieldValidation=Strict", doc)
        assert status in (400, 422), body
        # a 400 is the decoder's, which names the Go struct field: metadata.annotations is ObjectMeta.annotations
        named = field if status == 422 else field.replace("metadata.", "ObjectMeta.")
        assert named in body["message"], body
        return
    pytest.fail(f"{fixture.name} holds no qxo object")
