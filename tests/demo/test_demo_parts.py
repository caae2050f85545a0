"""The demo's parts on their own: process groups, waiting for files, rewriting examples/, attributing writes."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest
from demokit import processes_mentioning

from qxo.demo import manifests
from qxo.demo.children import Children, DemoError, json_with, wait_for_file
from qxo.demo.progress import Display, table_lines
from qxo.demo.sandboxes import Endpoints
from qxo.demo.tracker import Resource, Tracker


def endpoints(tmp_path: Path) -> Endpoints:
    return Endpoints(
        kubeconfig=tmp_path / "kubeconfig",
        brand={"base_url": "http://127.0.0.1:4000", "brand_id": "acme",
               "tokens": {"admin@acme.example": "brand-admin-token-1", "ops@acme.example": "ops-token-2"},
               "oauth_clients": {"admin@acme.example": {"client_id": "cid", "client_secret": "brand-oauth-secret"}}},
        salesforce={"login_url": "https://127.0.0.1:4443", "instance_url": "https://127.0.0.1:4443",
                    "client_id": "sf-client-id", "client_secret": "sf-client-secret", "refresh_token": "sf-refresh",
                    "production": {"organization_id": "00D5g000004AcmPEAC", "refresh_token": "sf-refresh-prod"}},
        salesforce_ca="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")


def test_stop_all_ends_the_whole_group_even_a_child_ignoring_sigterm(tmp_path):
    children = Children(tmp_path)
    marker = str(tmp_path)
    # A shell that ignores SIGTERM and has a child of its own: both must be gone afterwards.
    children.spawn("stubborn", ["sh", "-c", "trap '' TERM; sleep 60 & wait"], env={"DEMO_MARKER": marker})
    children.spawn("plain", ["sleep", "60"], env={"DEMO_MARKER": marker})
    deadline = time.monotonic() + 10
    while len(processes_mentioning(marker)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(processes_mentioning(marker)) == 3
    children.stop_all(grace=0.5)
    assert processes_mentioning(marker) == {}
    assert children.children == []


def test_wait_for_file_explains_a_child_that_died(tmp_path):
    children = Children(tmp_path)
    child = children.spawn("brand-sandbox", [sys.executable, "-c", "import sys; print('port in use'); sys.exit(3)"])
    with pytest.raises(DemoError, match=r"(?s)exited with code 3 .*port in use"):
        wait_for_file(child, tmp_path / "brand.json", json_with("base_url"), timeout=20)
    children.stop_all()


def test_wait_for_file_waits_for_a_complete_document(tmp_path):
    children = Children(tmp_path)
    target = tmp_path / "brand.json"
    script = (f"import time, pathlib; p = pathlib.Path({str(target)!r}); p.write_text('{{\"base_'); "
              "time.sleep(0.5); p.write_text('{\"base_url\": \"http://127.0.0.1:1\"}'); time.sleep(30)")
    child = children.spawn("brand-sandbox", [sys.executable, "-c", script])
    try:
        assert wait_for_file(child, target, json_with("base_url"), timeout=20) == {"base_url": "http://127.0.0.1:1"}
    finally:
        children.stop_all()


def test_examples_are_pointed_at_the_sandboxes(tmp_path):
    documents = manifests.for_sandboxes(manifests.examples(manifests.repository_root()), endpoints(tmp_path))
    brand = next(d for d in documents if d["kind"] == "QualtricsBrand")
    assert "datacenter" not in brand["spec"] and brand["spec"]["baseURL"] == "http://127.0.0.1:4000"
    secrets = {d["metadata"]["name"]: d.get("stringData") for d in documents if d["kind"] == "Secret"}
    assert secrets["acme-api-token"] == {"token": "brand-admin-token-1"}
    links = [d for d in documents if d["kind"] == "SalesforceLink"]
    assert links, "examples/ declares SalesforceLinks"
    for link in links:
        assert link["spec"]["loginURL"] == "https://127.0.0.1:4443"
        ca_ref = link["spec"]["caBundleRef"]
        ca = next(d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"] == ca_ref["name"])
        assert ca["data"][ca_ref["key"]].startswith("-----BEGIN CERTIFICATE-----")
        assert documents.index(ca) < documents.index(link)
        client = secrets[link["spec"]["oauth"]["clientSecretRef"]["name"]]
        assert client == {"client_id": "sf-client-id", "client_secret": "sf-client-secret"}
        # Each link logs in to the sandbox org of its environment: the Production twin, or the Sandbox org.
        token = "sf-refresh-prod" if link["spec"]["environment"] == "Production" else "sf-refresh"
        assert secrets[link["spec"]["oauth"]["refreshTokenSecretRef"]["name"]] == {"refresh_token": token}
    # Secrets the sandboxes do not issue (the accounts' credentials) keep the examples' values.
    assert secrets["ticketing-credentials"]["username"] == "svc-qualtrics"


def test_only_kubernetes_objects_are_applied(tmp_path):
    (tmp_path / "crds").mkdir()
    (tmp_path / "examples").mkdir()
    (tmp_path / "crds" / "kustomization.yaml").write_text("resources: [a.yaml]\n")
    (tmp_path / "crds" / "a.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: as.x.dev}\n")
    (tmp_path / "examples" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [ns.yaml]\n")
    (tmp_path / "examples" / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: qxo-demo}\n")
    assert [d["metadata"]["name"] for d in manifests.crds(tmp_path)] == ["as.x.dev"]
    assert [d["kind"] for d in manifests.examples(tmp_path)] == ["Namespace"]
    (tmp_path / "examples" / "broken.yaml").write_text("kind: [unclosed\n")
    with pytest.raises(DemoError, match=r"broken\.yaml: not valid YAML"):
        manifests.examples(tmp_path)


def test_the_credentials_to_keep_out_of_the_output(tmp_path):
    values = endpoints(tmp_path).secret_values()
    assert set(values) == {"brand-admin-token-1", "ops-token-2", "brand-oauth-secret", "sf-client-secret",
                           "sf-refresh", "sf-refresh-prod"}


def resource(kind: str, name: str, spec: dict, status: dict | None = None) -> Resource:
    body = {"metadata": {"name": name, "namespace": "qxo-demo", "generation": 1}, "spec": spec,
            "status": {"observedGeneration": 1, **(status or {})}}
    return Resource(kind, name, "qxo-demo", body, seen_at=0.0)


def test_writes_are_attributed_to_the_resource_they_were_for():
    tracker = Tracker(cluster=None)
    for r in (resource("ExtensionInstall", "webservice", {"extensionId": "webservice"}),
              resource("ExtensionAccount", "ticketing", {"installRef": {"name": "webservice"}},
                       {"externalId": "EA_1"}),
              resource("AccountGrant", "ticketing", {"accountRef": {"name": "ticketing"}}),
              resource("SalesforceLink", "ana", {"owner": "ana.lima@acme.example"}, {"externalId": "SC_1"})):
        tracker.resources[r.key] = r
    base = "/API/v3/brands/acme"
    assert tracker.attribute({"path": f"{base}/extensions/webservice/domains"}).key == ("ExtensionInstall",
                                                                                         "webservice")
    assert tracker.attribute({"path": f"{base}/extensions/webservice/accounts", "after": {"id": "EA_1"}}).key == (
        "ExtensionAccount", "ticketing")
    assert tracker.attribute({"path": f"{base}/accounts/EA_1"}).key == ("ExtensionAccount", "ticketing")
    assert tracker.attribute({"path": f"{base}/accounts/EA_1/access"}).key == ("AccountGrant", "ticketing")
    assert tracker.attribute({"path": f"{base}/accounts/EA_9/access"}) is None
    connections = "/API/v3/users/UR_1/salesforce-connections"
    assert tracker.attribute({"path": connections, "after": {"id": "SC_1"}}).key == ("SalesforceLink", "ana")
    assert tracker.attribute({"path": f"{connections}/SC_1"}).key == ("SalesforceLink", "ana")


def test_a_resource_is_ready_only_for_its_current_generation():
    ready = [{"type": "Ready", "status": "True", "reason": "Synced", "message": ""}]
    current = resource("ExtensionInstall", "a", {}, {"conditions": ready})
    stale = resource("ExtensionInstall", "b", {}, {"conditions": ready})
    stale.body["metadata"]["generation"] = 2
    waiting = resource("ExtensionAccount", "c", {}, {"conditions": [
        {"type": "Ready", "status": "False", "reason": "WaitingForInstall", "message": "ExtensionInstall a ..."}]})
    assert current.ready and not stale.ready and not waiting.ready
    assert waiting.summary() == ("False", "?", "WaitingForInstall: ExtensionInstall a ...")


def test_plain_progress_is_one_line_per_change_and_the_table_fits():
    live = io.StringIO()
    display = Display(out=io.StringIO(), live=live, tty=False)
    waiting = resource("ExtensionAccount", "ticketing", {}, {"conditions": [
        {"type": "Ready", "status": "False", "reason": "WaitingForInstall", "message": "not yet"}]})
    display.changes([waiting])
    assert "ExtensionAccount/ticketing: Ready=False" in live.getvalue()
    assert "\x1b[" not in live.getvalue()
    lines = table_lines([waiting], width=40)
    assert lines[0].startswith("KIND") and all(len(line) <= 40 for line in lines)
