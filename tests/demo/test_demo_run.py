"""`qxo demo` end to end: the JSON document, exploring with --keep, and nothing left behind after Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
from demokit import DemoRun, processes_mentioning, wait_until

pytestmark = pytest.mark.slow
CHILDREN = ("sandbox kube", "sandbox brand", "sandbox salesforce", "qxo operator")


def document(run: DemoRun) -> dict:
    assert run.stdout.strip(), f"no JSON on stdout; stderr ends:\n{run.stderr[-3000:]}"
    return json.loads(run.stdout)


def test_the_document_shows_every_step_done(kept_demo):
    doc = document(kept_demo)
    assert doc["resources"], "the demo reports the resources of examples/"
    for resource in doc["resources"]:
        assert {"kind", "namespace", "name", "ready", "conditions"} <= resource.keys()
        assert resource["ready"] is True, resource
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in resource["conditions"])
    kinds = {r["kind"] for r in doc["resources"]} | {r["kind"] for r in doc["removed"]}
    assert {"QualtricsBrand", "ExtensionInstall", "ExtensionAccount", "AccountGrant"} <= kinds
    if doc["salesforce_links_reconciled"]:
        assert {r["kind"] for r in doc["resources"]} >= {"SalesforceLink"}
    else:
        assert {r["kind"] for r in doc["not_reconciled"]} == {"SalesforceLink"}
    assert doc["drift_corrected"] >= 1
    assert doc["rotations_applied"] >= 1
    assert doc["uninstalls"] >= 1
    assert doc["brand_writes"] > 0 and doc["brand_reads"] > 0
    assert doc["converge_seconds"] > 0
    assert [s["name"] for s in doc["steps"]] == ["converge", "drift", "rotation", "uninstall", "tenancy"]
    assert sum(s["brand_writes"] for s in doc["steps"]) == doc["brand_writes"]
    assert {(r["kind"], r["name"]) for r in doc["removed"]} == {
        ("ExtensionInstall", "webservice"), ("ExtensionAccount", "ticketing"), ("AccountGrant", "ticketing")}
    assert doc["uninstalled"]["revokedAccounts"], "uninstalling webservice removed its account"
    # Step 5: examples/tenancy converged, and the team's forbidden request was refused at admission.
    assert doc["tenancy"]["objects_ready"] == 8
    [refused] = doc["tenancy"]["refused_at_admission"]
    assert "ValidatingAdmissionPolicy 'qxo-extension-policy-installs'" in refused
    assert "ExtensionPolicy teams (spec.extensions.ids): spec.extensionId: extension google-sheets" in refused


def test_kept_demo_can_be_explored_with_kubectl(kept_demo):
    assert kept_demo.process.poll() is None, f"--keep must stay up; stderr ends:\n{kept_demo.stderr[-3000:]}"
    kubeconfig = kept_demo.workdir / "kubeconfig"
    assert f"kubectl --kubeconfig {kubeconfig} get qualtrics -A" in kept_demo.stderr
    # A private discovery cache, as in tests/kube: kubectl's shared one may hold an earlier sandbox's
    # resources for the same port, and then does not know the `qualtrics` category.
    listed = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "get", "qualtrics", "-A"],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "KUBECACHEDIR": str(kept_demo.workdir / "kube-cache")})
    assert listed.returncode == 0, listed.stderr
    assert "brandwatch-social" in listed.stdout and "webservice" not in listed.stdout
    running = " | ".join(kept_demo.children().values())
    for child in CHILDREN:
        assert child in running, f"{child} should be running while the demo is kept; found: {running}"


def test_no_sandbox_credential_appears_in_the_output(kept_demo):
    brand = json.loads((kept_demo.workdir / "brand.json").read_text())
    salesforce = json.loads((kept_demo.workdir / "sf.json").read_text())
    credentials = [*brand["tokens"].values(), salesforce["client_secret"], salesforce["refresh_token"],
                   salesforce["production"]["refresh_token"]]
    credentials += [c["client_secret"] for c in brand.get("oauth_clients", {}).values() if "client_secret" in c]
    assert len(credentials) >= 4
    output = kept_demo.stdout + kept_demo.stderr
    for value in credentials:
        assert value not in output
    assert "FAKE-" not in output  # nor the examples' placeholder values
    logs = {log.name: log.read_text() for log in kept_demo.workdir.glob("*.log")}
    assert {"operator.log", "kube-sandbox.log", "brand-sandbox.log", "salesforce-sandbox.log"} <= logs.keys()
    assert [(name, value[:4]) for name, text in logs.items() for value in credentials if value in text] == []


def test_ctrl_c_on_the_kept_demo_stops_every_process(kept_demo):
    assert kept_demo.children(), "the scan must see the demo's processes before Ctrl-C, or it proves nothing"
    assert kept_demo.interrupt() == 0
    assert kept_demo.children() == {}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_starting_leaves_nothing_behind(tmp_path, sig):
    run = DemoRun(tmp_path / "work")
    try:
        wait_until(lambda: "sandbox kube" in " ".join(run.children().values()), "the sandboxes to start", 60)
        run.process.send_signal(sig)
        assert run.wait(60) == 130
        assert run.children() == {}
    finally:
        run.kill_everything()


def test_an_operator_that_dies_fails_the_demo_and_leaves_nothing_behind(tmp_path):
    run = DemoRun(tmp_path / "work", "--json")

    def operator_pid():
        return next((pid for pid, cmdline in run.children().items() if "qxo operator" in cmdline), None)
    try:
        wait_until(operator_pid, "the operator to start", 60)
        os.kill(operator_pid(), signal.SIGKILL)
        assert run.wait(120) == 1
        error = document(run)["error"]
        assert "the operator exited with code -9" in error
        assert run.children() == {}
    finally:
        run.kill_everything()


def test_the_scan_finds_processes_by_work_directory(tmp_path):
    marker = str(tmp_path / "marker")
    sleeper = subprocess.Popen(["sleep", "30"], env={"KUBECONFIG": marker})
    try:
        assert sleeper.pid in processes_mentioning(marker)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert processes_mentioning(marker) == {}
