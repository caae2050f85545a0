"""The real Kubernetes control plane for tests marked e2e: started once per test session by
hack/real-cluster, qxo installed into it with kubectl, and the operator's own ServiceAccount.

Tests isolate themselves by namespace and install the RBAC of the mode they run the operator in
(`install_operator_rbac`), so nothing depends on the order the tests run in.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
REAL_CLUSTER = ROOT / "hack" / "real-cluster"
OPERATOR_NAMESPACE, OPERATOR_ACCOUNT = "qxo-system", "qxo-operator"
OPERATOR_USER = f"system:serviceaccount:{OPERATOR_NAMESPACE}:{OPERATOR_ACCOUNT}"
# A cold build is a few minutes on two cores; a warm start is seconds.
START_TIMEOUT = 1800.0
HOW_TO_ENABLE = ("the real-cluster stage needs the Go toolchain once, to build the control plane "
                 "(`go` 1.24 or newer on the PATH; then `make test`)")


class Unavailable(Exception):
    """The control plane could not be had: no toolchain, or its build or start failed."""


class RealCluster:
    """One control plane (or the cluster QXO_E2E_KUBECONFIG names) and kubectl as its admin."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.admin_kubeconfig = workdir / "admin.kubeconfig"
        self.audit_log: Path | None = workdir / "audit.log"
        self.process: subprocess.Popen | None = None
        self.cache_dir = workdir / "kubectl-cache"  # discovery cached per control plane, never stale

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        external = os.environ.get("QXO_E2E_KUBECONFIG")
        if external:
            self.admin_kubeconfig, self.audit_log = Path(external), None
            return
        log = (self.workdir / "real-cluster.log").open("ab")
        self.process = subprocess.Popen(
            [str(REAL_CLUSTER), "--kubeconfig", str(self.admin_kubeconfig), "--workdir", str(self.workdir / "plane"),
             "--audit-log", str(self.audit_log)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.admin_kubeconfig.exists():
            code = self.process.poll()
            if code is not None:
                output = (self.workdir / "real-cluster.log").read_text(errors="replace").strip()
                reason = HOW_TO_ENABLE if code == 3 else f"hack/real-cluster exited {code}: {output[-2000:]}"
                raise Unavailable(reason)
            if time.monotonic() > deadline:
                self.stop()
                raise Unavailable(f"hack/real-cluster was not ready after {START_TIMEOUT:.0f} s")
            time.sleep(0.25)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    # -- kubectl ----------------------------------------------------------------------------------

    def kubectl(self, *args: str, input: str | None = None, check: bool = True, kubeconfig: Path | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig or self.admin_kubeconfig),
                                 "--cache-dir", str(self.cache_dir), *args],
                                input=input, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def apply(self, documents: list[dict[str, Any]], namespace: str | None = None) -> None:
        self.kubectl("apply", *(["-n", namespace] if namespace else []), "-f", "-", input=yaml.safe_dump_all(documents))

    def kustomize(self, path: str | Path) -> list[dict[str, Any]]:
        rendered = self.kubectl("kustomize", str(ROOT / path)).stdout
        return [document for document in yaml.safe_load_all(rendered) if document]

    # -- installing qxo ---------------------------------------------------------------------------

    def install_crds(self) -> None:
        self.kubectl("apply", "-k", str(ROOT / "crds"))
        self.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd",
                     "-l", "app.kubernetes.io/part-of=qxo")

    def install_operator_rbac(self, mode: str, namespace: str) -> None:
        """Exactly the RBAC of one mode for the operator's ServiceAccount, with `namespace` as its tenant.

        clusterwide: `kubectl apply -k manifests/` (the default install) plus the tenant overlay.
        namespaced: manifests/operator, the per-namespace access to the qxo kinds in `namespace` and the
        tenant overlay, and no ClusterRoleBinding to the qxo kinds.
        """
        if mode == "clusterwide":
            self.kubectl("apply", "-k", str(ROOT / "manifests"))
            self.kubectl("delete", "rolebinding", "qxo-operator-resources", "-n", namespace, "--ignore-not-found")
        elif mode == "namespaced":
            self.kubectl("apply", "-k", str(ROOT / "manifests" / "operator"))
            self.kubectl("delete", "clusterrolebinding", "qxo-operator-resources", "--ignore-not-found")
            self.apply(self.kustomize("manifests/tenant-resources"), namespace=namespace)
        else:
            raise ValueError(mode)
        self.apply(self.kustomize("manifests/tenant") + self.kustomize("manifests/tenant-salesforce"),
                   namespace=namespace)

    def service_account_kubeconfig(self, path: Path, namespace: str = OPERATOR_NAMESPACE,
                                   account: str = OPERATOR_ACCOUNT) -> Path:
        """A kubeconfig that authenticates as the ServiceAccount (`kubectl create token`), nothing more."""
        token = self.kubectl("create", "token", account, "-n", namespace, "--duration=4h").stdout.strip()
        admin = yaml.safe_load(self.admin_kubeconfig.read_text())
        context = next(c for c in admin["contexts"] if c["name"] == admin["current-context"])["context"]
        cluster = next(c for c in admin["clusters"] if c["name"] == context["cluster"])
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": account,
            "clusters": [{"name": "cluster", "cluster": cluster["cluster"]}],
            "users": [{"name": account, "user": {"token": token}}],
            "contexts": [{"name": account, "context": {"cluster": "cluster", "user": account}}]}))
        return path

    def can_i(self, verb: str, resource: str, namespace: str | None = None, user: str = OPERATOR_USER) -> bool:
        args = ["auth", "can-i", verb, resource, "--as", user, *(["-n", namespace] if namespace else ["-A"])]
        result = self.kubectl(*args, check=False)
        answer = result.stdout.strip()
        if answer not in ("yes", "no"):
            raise AssertionError(f"kubectl {' '.join(args)}: {result.stdout} {result.stderr}")
        return answer == "yes"

    # -- what the operator did --------------------------------------------------------------------

    def audit_events(self, user: str = OPERATOR_USER) -> list[dict[str, Any]]:
        """The requests `user` made so far (hack/real-cluster's audit log; needs the control plane we started)."""
        if self.audit_log is None or not self.audit_log.exists():
            return []
        events = []
        for line in self.audit_log.read_text().splitlines():
            event = json.loads(line)
            if event.get("user", {}).get("username") == user:
                events.append(event)
        return events
