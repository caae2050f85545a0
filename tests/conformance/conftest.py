"""One kube sandbox and the session's real API server for the conformance table, both with the same CRDs
(qxo's crds/ and the widgets test CRD); every case then makes its own namespace on both."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from casebuilders import widget
from conformancekit import RUN, Case, Server, cleanup

from qxo.sandbox.kube import KubeSandbox

ROOT = Path(__file__).resolve().parents[2]
WIDGETS_CRD = ROOT / "tests" / "kube" / "data" / "widgets.yaml"


def install_crds(real_cluster, kubeconfig: Path) -> None:
    """qxo's CRDs and the widgets test CRD, applied with kubectl as the session applied them to the real server."""
    real_cluster.kubectl("apply", "-k", str(ROOT / "crds"), kubeconfig=kubeconfig)
    real_cluster.kubectl("apply", "-f", str(WIDGETS_CRD), kubeconfig=kubeconfig)
    real_cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/widgets.test.qxo.dev",
                         kubeconfig=kubeconfig)


def await_the_garbage_collector(real: Server) -> None:
    """The real collector watches a new CRD's objects only from its next discovery sync (every 30 s): wait
    until it collects a probe Widget's dependent, so the garbage collection cases do not race that sync."""
    namespace = f"cf-gc-probe{RUN}"
    real.request("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
    owner = real.request("POST", f"/apis/test.qxo.dev/v1/namespaces/{namespace}/widgets", widget("probe")).json()
    ref = {"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "name": "probe", "uid": owner["metadata"]["uid"]}
    dependent = f"/api/v1/namespaces/{namespace}/configmaps/dependent"
    real.request("POST", dependent.rpartition("/")[0], {"metadata": {"name": "dependent", "ownerReferences": [ref]}})
    real.request("DELETE", f"/apis/test.qxo.dev/v1/namespaces/{namespace}/widgets/probe")
    deadline = time.monotonic() + 180
    while real.request("GET", dependent).status_code != 404:
        if time.monotonic() > deadline:
            raise AssertionError("the real garbage collector did not collect a Widget's dependent within 180 s")
        time.sleep(0.5)
    real.request("DELETE", f"/api/v1/namespaces/{namespace}")


@dataclass
class Servers:
    sandbox: Server
    real: Server
    ran: list[Case]


@pytest.fixture(scope="module")
def servers(real_cluster, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("conformance")
    install_crds(real_cluster, real_cluster.admin_kubeconfig)
    real = Server.from_kubeconfig("real", real_cluster.admin_kubeconfig, workdir)
    await_the_garbage_collector(real)
    with KubeSandbox.run_in_thread(kubeconfig_path=workdir / "sandbox.kubeconfig") as handle:
        install_crds(real_cluster, workdir / "sandbox.kubeconfig")
        sandbox = Server("sandbox", handle.url)
        both = Servers(sandbox, real, [])
        try:
            yield both
        finally:
            cleanup(real, both.ran)
    real_cluster.kubectl("delete", "-f", str(WIDGETS_CRD), "--wait=false", check=False)
