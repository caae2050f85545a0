"""The chart on a real API server: `helm install --dry-run=server`, then for real, then the objects.

Runs in the real-cluster stage of `make test`, against the control plane of hack/real-cluster (or
the cluster QXO_E2E_KUBECONFIG names). That control plane has no scheduler or nodes, so the
Deployment is checked as an object, never waited on to become available.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from chartkit import CHART

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NAMESPACE = "qxo-chart-e2e"
RELEASE = "qxo-chart-e2e"  # its own names, so it never collides with an install from manifests/


@pytest.fixture
def cluster(helm, real_cluster):
    kubeconfig = str(real_cluster.admin_kubeconfig)

    def kubectl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return real_cluster.kubectl(*args, check=check)

    kubectl("create", "namespace", NAMESPACE)
    try:
        yield kubeconfig, kubectl
    finally:
        helm("uninstall", RELEASE, "--namespace", NAMESPACE, "--kubeconfig", kubeconfig, check=False)
        kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)


def test_the_chart_installs_on_a_real_api_server(helm, cluster):
    kubeconfig, kubectl = cluster
    install = ["install", RELEASE, str(CHART), "--namespace", NAMESPACE, "--kubeconfig", kubeconfig,
               "--set", f"fullnameOverride={RELEASE}", "--set", "networkPolicy.enabled=true"]
    helm(*install, "--dry-run=server")
    assert kubectl("get", "deployment", RELEASE, "-n", NAMESPACE, check=False).returncode != 0, \
        "a server-side dry run creates nothing"
    helm(*install)
    deployment = json.loads(kubectl("get", "deployment", RELEASE, "-n", NAMESPACE, "-o", "json").stdout)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"][:2] == ["operator", "--all-namespaces"]
    for kind, name in (("serviceaccount", RELEASE), ("role", f"{RELEASE}-reference-reader"),
                       ("networkpolicy", RELEASE)):
        kubectl("get", kind, name, "-n", NAMESPACE)
    for name in (f"{RELEASE}-discovery", f"{RELEASE}-resources"):
        kubectl("get", "clusterrole", name)
    kubectl("wait", "--for=condition=Established", "crd/extensioninstalls.qxo.dev", "--timeout=60s")
    can = kubectl("auth", "can-i", "patch", "extensioninstalls.qxo.dev/status", "-n", "default",
                  f"--as=system:serviceaccount:{NAMESPACE}:{RELEASE}", check=False)
    assert can.stdout.strip() == "yes"
    cannot = kubectl("auth", "can-i", "get", "secrets", "-n", "default",
                     f"--as=system:serviceaccount:{NAMESPACE}:{RELEASE}", check=False)
    assert cannot.stdout.strip() == "no", "Secrets only in tenant namespaces"
