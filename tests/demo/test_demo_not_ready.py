"""Step 1's failure: without an operator nothing becomes Ready, and the demo names each resource and why."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from qxo.demo import manifests
from qxo.demo.brand import Audit, UiUser
from qxo.demo.children import DemoError
from qxo.demo.cluster import Cluster
from qxo.demo.progress import Display
from qxo.demo.sandboxes import Endpoints
from qxo.demo.steps import Demo
from qxo.demo.tracker import Tracker
from qxo.sandbox.brand import BrandSandbox
from qxo.sandbox.kube import KubeSandbox


def test_converge_times_out_naming_every_resource_that_is_not_ready(tmp_path: Path):
    with KubeSandbox.run_in_thread(kubeconfig_path=tmp_path / "kubeconfig") as kube, \
            BrandSandbox.run_in_thread(str(tmp_path / "brand.db")) as brand:
        endpoints = Endpoints(Path(kube.kubeconfig_path), brand.credentials(), {
            "login_url": "https://127.0.0.1:1", "client_id": "c", "client_secret": "s", "refresh_token": "r",
            "production": {"organization_id": "00D000000000000AAA", "refresh_token": "p"}},
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
        cluster = Cluster(endpoints.kubeconfig)
        root = manifests.repository_root()
        for crd in manifests.crds(root):
            cluster.apply(crd)
        documents = [d for d in manifests.for_sandboxes(manifests.examples(root), endpoints)
                     if d["kind"] != "SalesforceLink"]
        narrative = io.StringIO()
        display = Display(narrative, io.StringIO(), tty=False)
        demo = Demo(cluster, Audit(endpoints.brand_url), UiUser(endpoints), display, Tracker(cluster))

        def apply() -> int:
            for document in documents:
                cluster.apply(document)
            return len(documents)
        try:
            with pytest.raises(DemoError) as failure:
                demo.converge(apply, timeout=1.0)  # no operator is running: nothing can become Ready
        finally:
            cluster.close()
    message = str(failure.value)
    assert message.startswith("not every resource became Ready:")
    for kind, name in [("QualtricsBrand", "acme"), ("ExtensionInstall", "webservice"),
                       ("ExtensionAccount", "ticketing"), ("AccountGrant", "brandwatch-social")]:
        assert f"{kind}/{name}: Ready=? Synced=? no status yet" in message
    assert brand.admin_token not in message + narrative.getvalue()


def test_a_work_directory_that_is_a_file_is_refused_clearly(tmp_path: Path):
    occupied = tmp_path / "occupied"
    occupied.write_text("not a directory")
    result = subprocess.run([sys.executable, "-m", "qxo", "demo", "--json", "--workdir", str(occupied)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "--workdir" in json.loads(result.stdout)["error"]
    assert "Traceback" not in result.stderr
