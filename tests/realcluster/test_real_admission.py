"""The CRDs as a real API server admits them: what a user's `kubectl apply -k crds/` meets.

The real server's CEL cost estimator and structural-schema checks accepted the CRDs when the session
installed them (tests/conftest.py); here every schema-layer malformed fixture is refused naming its
field, examples/ and the edge cases qxo validate accepts are admitted, and `kubectl explain` documents
every kind.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ROOT / "tests" / "fixtures" / "malformed"
NAMESPACE = "qxo-admission"


def header(path: Path) -> tuple[str, str]:
    first, second = path.read_text().splitlines()[:2]
    return first.removeprefix("# field: "), second.removeprefix("# layer: ")


SCHEMA_FIXTURES = [path for path in sorted(MALFORMED.glob("*.yaml")) if header(path)[1] == "schema"]


@pytest.fixture(scope="module")
def cluster(real_cluster):
    real_cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}])
    yield real_cluster
    real_cluster.kubectl("delete", "namespace", NAMESPACE, "--wait=false")


def in_namespace(document: dict) -> dict:
    return {**document, "metadata": {**document["metadata"], "namespace": NAMESPACE}}


@pytest.mark.parametrize("fixture", SCHEMA_FIXTURES, ids=lambda path: path.stem)
def test_malformed_fixture_is_refused_by_the_real_api_server_naming_its_field(cluster, fixture):
    field, _ = header(fixture)
    documents = [in_namespace(d) for d in yaml.safe_load_all(fixture.read_text()) if d]
    result = cluster.kubectl("create", "-f", "-", input=yaml.safe_dump_all(documents), check=False)
    assert result.returncode != 0, f"{fixture.name} was admitted"
    assert field in result.stderr, result.stderr


def test_examples_are_admitted_as_they_are(cluster):
    documents = [in_namespace(d) for path in sorted((ROOT / "examples").glob("*.yaml"))
                 for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] != "Namespace"]
    result = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=yaml.safe_dump_all(documents))
    assert result.stdout.count("(server dry run)") == len(documents), result.stdout


@pytest.mark.parametrize("kind", ["qualtricsbrand", "extensioninstall", "extensionaccount", "accountgrant",
                                  "salesforcelink"])
def test_kubectl_explain_documents_every_kind(cluster, kind):
    explained = cluster.kubectl("explain", f"{kind}.spec").stdout
    assert "DESCRIPTION:" in explained and "FIELDS:" in explained
    assert "<no description>" not in explained, explained
