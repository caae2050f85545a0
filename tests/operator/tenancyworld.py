"""A world for the tenancy scenarios: examples/tenancy/ on the kube sandbox or the real control plane, the
operator watching every namespace, the admission policies of manifests/policy/ installed.

On the real control plane the operator runs as its ServiceAccount with the default install's RBAC plus the
tenant overlays of the two team namespaces; the team bindings of examples/tenancy/05-team-access.yaml are
applied too. On the sandbox (no RBAC) they are left out.
"""

from __future__ import annotations

import contextlib
import copy
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT, World
from qxo.reconcile.runtime import DEFER_GRACE_SECONDS
from qxo.sandbox.brand import BrandSandbox
from qxo.sandbox.kube import KubeSandbox

TENANCY = ROOT / "examples" / "tenancy"
POLICY = ROOT / "manifests" / "policy" / "admission-policies.yaml"
NAMESPACES = ("qxo-platform", "team-marketing", "team-support")
RBAC = {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
GROUP, VERSION = "qxo.dev", "v1alpha1"
PLURALS = {"ClusterQualtricsBrand": "clusterqualtricsbrands", "ExtensionPolicy": "extensionpolicies",
           "ExtensionInstall": "extensioninstalls", "ExtensionAccount": "extensionaccounts",
           "AccountGrant": "accountgrants"}
# What examples/tenancy declares and the operator makes Ready: (kind, namespace, name).
READY = [("ClusterQualtricsBrand", "", "acme"),
         ("ExtensionInstall", "qxo-platform", "whatsapp-twilio"), ("ExtensionInstall", "qxo-platform", "smtp-relay"),
         ("ExtensionInstall", "team-support", "jira"),
         ("ExtensionAccount", "team-marketing", "whatsapp"), ("ExtensionAccount", "team-support", "smtp"),
         ("AccountGrant", "team-marketing", "whatsapp"), ("AccountGrant", "team-support", "smtp")]


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def tenancy_documents(world: World, *, with_rbac: bool) -> list[dict[str, Any]]:
    """examples/tenancy/, the brand pointed at the brand sandbox with a real token of its administrator."""
    out = []
    for path in sorted(TENANCY.glob("*.yaml")):
        for document in documents(path):
            if document["kind"] in RBAC and not with_rbac:
                continue
            document = copy.deepcopy(document)
            if document["kind"] == "ClusterQualtricsBrand":
                document["spec"].pop("datacenter", None)
                document["spec"]["baseURL"] = world.brand.base_url
            if document["kind"] == "Secret" and document["metadata"]["name"] == "acme-brand-admin":
                document["stringData"] = {"token": world.brand_token()}
            out.append(document)
    return out


class Tenancy:
    """Reads and writes across the tenancy namespaces and the cluster-scoped kinds."""

    def __init__(self, world: World, real: bool) -> None:
        self.world, self.real = world, real

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        custom = self.world.custom
        try:
            if namespace:
                return custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURALS[kind], name)
            return custom.get_cluster_custom_object(GROUP, VERSION, PLURALS[kind], name)
        except Exception as error:
            if getattr(error, "status", None) == 404:
                return None
            raise

    def ready(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        body = self.get(kind, namespace, name)
        for condition in ((body or {}).get("status") or {}).get("conditions") or ():
            if condition["type"] == "Ready" and condition["status"] == "True":
                return body
        return None

    def condition(self, kind: str, namespace: str, name: str, reason: str,
                  timeout: float = DEFER_GRACE_SECONDS + 30) -> dict[str, Any]:
        # An object may wait silently for a dependency for up to DEFER_GRACE_SECONDS before it says anything:
        # a condition is awaited past that bound (on a busy CI machine one took longer than 60 s).
        def found():
            body = self.get(kind, namespace, name) or {}
            status = body.get("status") or {}
            if status.get("observedGeneration") != (body.get("metadata") or {}).get("generation"):
                return None
            return next((c for c in status.get("conditions") or () if c["type"] == "Ready"
                         and c["status"] == "False" and c["reason"] == reason), None)
        return self.world.wait_for(found, f"{kind} {namespace}/{name} Ready=False {reason}", timeout)

    def converge(self, timeout: float = 120) -> None:
        self.world.wait_for(lambda: all(self.ready(*key) for key in READY), "every tenancy object to be Ready",
                            timeout)

    def apply(self, body: dict[str, Any] | list[dict[str, Any]], check: bool = True):
        return self.world.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(
            body if isinstance(body, list) else [body]), check=check)

    def without_binding(self, policy: str):
        """A context with one admission policy's binding removed: what the operator decides alone."""
        binding = next(d for d in documents(POLICY) if d["kind"] == "ValidatingAdmissionPolicyBinding"
                       and d["metadata"]["name"] == policy)
        return _unbound(self, binding)

    def delete(self, kind: str, namespace: str, name: str) -> None:
        self.world.kubectl("delete", PLURALS[kind], name, *(("-n", namespace) if namespace else ()),
                           "--ignore-not-found", "--wait=false")


@contextlib.contextmanager
def _unbound(tenancy: Tenancy, binding: dict[str, Any]) -> Iterator[None]:
    tenancy.world.kubectl("delete", "validatingadmissionpolicybinding", binding["metadata"]["name"])
    time.sleep(2 if tenancy.real else 0)  # the real API server's admission sees it through an informer
    try:
        yield
    finally:
        tenancy.apply(binding)
        time.sleep(2 if tenancy.real else 0)


@contextlib.contextmanager
def tenancy_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tenancy]:
    real = request.node.get_closest_marker("e2e") is not None
    with BrandSandbox.run_in_thread(str(tmp_path / "brand.db")) as brand:
        if real:
            cluster = request.getfixturevalue("real_cluster")
            kube = types.SimpleNamespace(kubeconfig_path=cluster.admin_kubeconfig, url=None)
            for namespace in NAMESPACES:
                cluster.kubectl("wait", "--for=delete", f"namespace/{namespace}", "--timeout=120s", check=False)
            cluster.kubectl("apply", "-k", str(ROOT / "manifests"))
            cluster.apply([d for d in documents(TENANCY / "00-namespaces.yaml")])
            for team in ("team-marketing", "team-support"):
                cluster.kubectl("apply", "-k", str(ROOT / "manifests" / "tenants" / team))
            world = World(tmp_path, kube, brand, operator_scope=("--all-namespaces",),
                          operator_kubeconfig=cluster.service_account_kubeconfig(tmp_path / "operator.kubeconfig"))
            yield from _run(world, real=True)
        else:
            with KubeSandbox.run_in_thread(kubeconfig_path=tmp_path / "kubeconfig") as sandbox:
                world = World(tmp_path, sandbox, brand, operator_scope=("--all-namespaces",))
                world.kubectl("apply", *[a for crd in sorted((ROOT / "crds").glob("qxo.dev_*.yaml"))
                                         for a in ("-f", str(crd))])
                yield from _run(world, real=False)


def _run(world: World, real: bool) -> Iterator[Tenancy]:
    tenancy = Tenancy(world, real)
    world.kubectl("apply", "-f", str(POLICY))
    world.start_operator()
    try:
        yield tenancy
    finally:
        try:
            if real:
                _clean_up(tenancy)
        finally:
            world.stop_operator()
            world.api.close()
    leaked = [token for token in world.brand.tokens.values() if token in world.log_text()]
    assert leaked == [], "a brand token reached the operator log"


def _clean_up(tenancy: Tenancy) -> None:
    """The real cluster outlives the test: delete what the scenario made while the operator holds finalizers."""
    world = tenancy.world
    for plural in ("accountgrants", "extensionaccounts", "extensioninstalls"):
        for namespace in NAMESPACES:
            world.kubectl("delete", plural, "--all", "-n", namespace, "--wait=false", check=False)
    world.kubectl("delete", "extensionpolicies", "--all", check=False)
    world.kubectl("delete", "clusterqualtricsbrands", "--all", "--wait=false", check=False)
    world.wait_for(lambda: not any(tenancy.get(kind, ns, name) for kind, ns, name in READY), "tenancy objects to go",
                   180)
    world.stop_operator()
    world.kubectl("delete", "-f", str(TENANCY / "05-team-access.yaml"), "--ignore-not-found")
    for namespace in NAMESPACES:
        world.kubectl("delete", "namespace", namespace, "--wait=false", "--ignore-not-found")
