"""A world for operator tests: the kube and brand sandboxes over real HTTP, the CRDs applied with
kubectl, and `qxo operator` running as a real process that can be killed and restarted."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import types
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from qxo.api import KINDS
from qxo.sandbox.brand import BrandSandbox
from qxo.sandbox.kube import KubeSandbox

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "qxo-demo"
GROUP, VERSION = "qxo.dev", "v1alpha1"
# The namespaced kinds a scenario declares in its namespace (the cluster-scoped ones are tenancyworld.py's).
PLURALS = {kind: model.PLURAL for kind, model in KINDS.items() if model.SCOPE == "Namespaced"}


def example_documents(brand_url: str, token: str, *, salesforce: dict[str, Any] | None = None
                      ) -> list[dict[str, Any]]:
    """examples/ as the sandboxes need them: the brand at the sandbox's URL with a real sandbox token;
    with `salesforce` (the Salesforce sandbox's credentials plus `ca_pem`), the links too."""
    documents = []
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        if path.name.startswith("40-") and not salesforce:
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if not document:
                continue
            if document["kind"] == "QualtricsBrand":
                document["spec"].pop("datacenter", None)
                document["spec"]["baseURL"] = brand_url
            if document["kind"] == "Secret" and document["metadata"]["name"] == "acme-api-token":
                document["stringData"] = {"token": token}
            if salesforce is not None:
                _point_at_salesforce_sandbox(document, salesforce)
            documents.append(document)
    if salesforce is not None:
        _refresh_tokens_by_environment(documents, salesforce)
        documents.insert(1, {"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "salesforce-sandbox-ca", "namespace": NAMESPACE},
                             "data": {"ca.crt": salesforce["ca_pem"]}})
    return documents


def _point_at_salesforce_sandbox(document: dict[str, Any], salesforce: dict[str, Any]) -> None:
    if document["kind"] == "SalesforceLink":
        document["spec"]["loginURL"] = salesforce["login_url"]
        document["spec"]["caBundleRef"] = {"kind": "ConfigMap", "name": "salesforce-sandbox-ca", "key": "ca.crt"}
    elif document["kind"] == "Secret" and document["metadata"]["name"] == "salesforce-connected-app":
        document["stringData"] = {"client_id": salesforce["client_id"], "client_secret": salesforce["client_secret"]}


def _refresh_tokens_by_environment(documents: list[dict[str, Any]], salesforce: dict[str, Any]) -> None:
    """Each link's refresh token Secret gets the token of the sandbox org of its environment: the Production twin's
    for Production links, the primary (Sandbox) org's for Sandbox ones."""
    secrets = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Secret"}
    for link in (d for d in documents if d["kind"] == "SalesforceLink"):
        token = salesforce["production"]["refresh_token"] if link["spec"]["environment"] == "Production" \
            else salesforce["refresh_token"]
        secret = secrets[link["spec"]["oauth"]["refreshTokenSecretRef"]["name"]]
        secret["stringData"] = {link["spec"]["oauth"]["refreshTokenSecretRef"].get("key", "refresh_token"): token}


class World:
    """One scenario's world. `kubeconfig` is the test's own (admin) identity; the operator runs with
    `operator_kubeconfig` (on a real cluster its ServiceAccount's token) over `operator_scope`."""

    def __init__(self, tmp: Path, kube: Any, brand: BrandSandbox, *, operator_kubeconfig: Path | None = None,
                 operator_scope: tuple[str, ...] = ("--namespace", NAMESPACE)) -> None:
        self.tmp = tmp
        self.kube = kube
        self.brand = brand
        self.kubeconfig = str(kube.kubeconfig_path)
        self.operator_kubeconfig = str(operator_kubeconfig or self.kubeconfig)
        self.operator_scope = operator_scope
        # The operator watches Secrets in namespaced mode only (`--watch-secrets auto`); cluster-wide,
        # a rotation is noticed at the next brand observation.
        self.watches_secrets = "--namespace" in operator_scope
        self.api = k8s_config.new_client_from_config(config_file=self.kubeconfig)
        self.custom = k8s.CustomObjectsApi(self.api)
        self.core = k8s.CoreV1Api(self.api)
        self.operator: subprocess.Popen | None = None
        self.program: tuple[str, ...] = ("-m", "qxo")  # what `python` runs as `qxo` (the toy kind's test swaps it)
        self.plurals = dict(PLURALS)
        self.log_path = tmp / "operator.log"
        self.starts = 0

    # -- kubectl and the kubernetes client ----------------------------------------------------------

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        # Discovery cached per world: a port reused by another server must not answer from its cache.
        result = subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig, "--cache-dir", str(self.tmp / "kubectl"),
                                 *args], input=input,
                                capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
        return result

    def apply(self, documents: list[dict[str, Any]] | dict[str, Any]) -> None:
        if isinstance(documents, dict):
            documents = [documents]
        self.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(documents))

    def get(self, kind: str, name: str) -> dict[str, Any]:
        return self.custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, self.plurals[kind], name)

    def patch(self, kind: str, name: str, body: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object(GROUP, VERSION, NAMESPACE, self.plurals[kind], name, body)

    def delete(self, kind: str, name: str) -> None:
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, self.plurals[kind], name)

    def exists(self, kind: str, name: str) -> bool:
        try:
            self.get(kind, name)
            return True
        except k8s.exceptions.ApiException as error:
            if error.status == 404:
                return False
            raise

    def condition(self, kind: str, name: str, type_: str = "Ready") -> dict[str, Any] | None:
        for condition in (self.get(kind, name).get("status") or {}).get("conditions") or ():
            if condition["type"] == type_:
                return condition
        return None

    def wait_for(self, predicate: Callable[[], Any], what: str, timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; operator log tail:\n{self.log_tail()}")
            time.sleep(0.2)

    def wait_condition(self, kind: str, name: str, status: str = "True", type_: str = "Ready",
                       reason: str | None = None, timeout: float = 60) -> dict[str, Any]:
        def matches():
            body = self.get(kind, name)
            condition = next((c for c in (body.get("status") or {}).get("conditions") or ()
                              if c["type"] == type_), None)
            generation_seen = (body.get("status") or {}).get("observedGeneration") == body["metadata"]["generation"]
            if condition and generation_seen and condition["status"] == status \
                    and (reason is None or condition["reason"] == reason):
                return condition
            return None
        return self.wait_for(matches, f"{kind}/{name} {type_}={status} {reason or ''}", timeout)

    def wait_gone(self, kind: str, name: str, timeout: float = 60) -> None:
        self.wait_for(lambda: not self.exists(kind, name), f"{kind}/{name} to be deleted", timeout)

    def events(self) -> list[Any]:
        return self.core.list_namespaced_event(NAMESPACE).items

    # -- the brand ----------------------------------------------------------------------------------

    def audit(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.brand.base_url}/_sandbox/audit") as response:
            return json.load(response)["entries"]

    def writes(self, since: int = 0, user: str = "admin@acme.example") -> list[dict[str, Any]]:
        return [e for e in self.audit()[since:] if e["method"] != "GET" and e.get("who") == user]

    def reads(self, since: int = 0, user: str = "admin@acme.example") -> list[dict[str, Any]]:
        return [e for e in self.audit()[since:] if e["method"] == "GET" and e.get("who") == user]

    def brand_token(self, user: str = "admin@acme.example") -> str:
        return self.brand.tokens[user]

    def brand_call(self, method: str, path: str, body: Any = None, user: str = "ops@acme.example") -> Any:
        """An out-of-band call, as another administrator clicking in the UI would make."""
        request = urllib.request.Request(
            f"{self.brand.base_url}/API/v3{path.replace('{brandId}', self.brand.brand_id)}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"X-API-TOKEN": self.brand_token(user), "Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            payload = response.read()
        return json.loads(payload)["result"] if payload else None

    def refresh_brand(self) -> None:
        """Ask for an observation now (qxo.dev/refresh) instead of waiting for the resync interval."""
        self.patch("QualtricsBrand", "acme", {"metadata": {"annotations": {"qxo.dev/refresh": str(time.time())}}})

    # -- the operator process -----------------------------------------------------------------------

    def start_operator(self, *extra_args: str) -> None:
        env = {**os.environ, "KUBECONFIG": self.operator_kubeconfig, "PYTHONUNBUFFERED": "1"}
        log = self.log_path.open("a")
        self.starts += 1
        log.write(f"---- operator start {self.starts}\n")
        log.flush()
        # The sandboxes and capture servers listen on 127.0.0.1, which the operator's administrator allows.
        self.operator = subprocess.Popen([sys.executable, *self.program, "operator", *self.operator_scope,
                                          "--allow-endpoint", "127.0.0.1", *extra_args],
                                         env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill_operator(self) -> None:
        if self.operator is not None and self.operator.poll() is None:
            os.killpg(self.operator.pid, signal.SIGKILL)
            self.operator.wait(timeout=10)
        self.operator = None

    def stop_operator(self) -> None:
        if self.operator is not None and self.operator.poll() is None:
            # A SIGINT while Python is still importing prints a bare traceback: let it start first.
            self.wait_for(lambda: self.operator.poll() is not None
                          or "Initial authentication has finished" in self.current_log(), "the operator to start", 60)
            self.operator.send_signal(signal.SIGINT)
            try:
                self.operator.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_operator()
        self.operator = None

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def current_log(self) -> str:
        """What the latest operator process logged (the file holds every start's lines)."""
        return self.log_text().rpartition(f"---- operator start {self.starts}\n")[2]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_records(self) -> list[dict[str, Any]]:
        """Every line the operator logged, each one JSON (its log is not a terminal)."""
        records = []
        for line in self.log_text().splitlines():
            if line.startswith("---- operator start"):
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"an operator log line is not JSON: {line!r}") from None
        return records


def clean_up_real_cluster(world: World) -> None:
    """Delete the scenario's objects while the operator still runs (it holds their finalizers), then the
    namespace: the next scenario starts from nothing, as the real cluster outlives every test."""
    def gone() -> bool:
        return all(not world.custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, plural)["items"]
                   for plural in PLURALS.values())

    if not gone():
        # An operator started only to be stopped at once can be stopped in kopf's first API discovery, whose
        # task then fails unawaited ("Task exception was never retrieved"): start it only when it has work.
        if world.operator is None or world.operator.poll() is not None:
            world.start_operator()
        for plural in reversed(PLURALS.values()):  # dependents first: a brand waits for them to go
            world.kubectl("delete", plural, "--all", "-n", NAMESPACE, "--wait=false", check=False)
        world.wait_for(gone, "the scenario's objects to go", 180)
    world.stop_operator()
    world.kubectl("delete", "namespace", NAMESPACE, "--wait=true", "--timeout=120s")


def operator_mode(request: pytest.FixtureRequest) -> str:
    """A real-cluster scenario's `operator_mode` parameter: namespaced (the default) or clusterwide."""
    callspec = getattr(request.node, "callspec", None)
    return callspec.params.get("operator_mode", "namespaced") if callspec else "namespaced"


@contextlib.contextmanager
def world_on_a_real_cluster(request: pytest.FixtureRequest, tmp_path: Path, brand: BrandSandbox) -> Iterator[World]:
    """The operator as its own ServiceAccount, with the shipped RBAC of its mode and nothing else."""
    cluster = request.getfixturevalue("real_cluster")
    mode = operator_mode(request)
    kube = types.SimpleNamespace(kubeconfig_path=cluster.admin_kubeconfig, url=None)
    scope = ("--namespace", NAMESPACE) if mode == "namespaced" else ("--all-namespaces",)
    cluster.kubectl("wait", "--for=delete", f"namespace/{NAMESPACE}", "--timeout=120s", check=False)
    cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}])
    cluster.install_operator_rbac(mode, NAMESPACE)
    yield World(tmp_path, kube, brand, operator_scope=scope,
                operator_kubeconfig=cluster.service_account_kubeconfig(tmp_path / "operator.kubeconfig"))


@contextlib.contextmanager
def world_on_the_sandbox(tmp_path: Path, brand: BrandSandbox) -> Iterator[World]:
    with KubeSandbox.run_in_thread(kubeconfig_path=tmp_path / "kubeconfig") as kube:
        world = World(tmp_path, kube, brand)
        world.kubectl("apply", *[arg for crd in sorted((ROOT / "crds").glob("qxo.dev_*.yaml"))
                                 for arg in ("-f", str(crd))])
        world.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        yield world


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The kube sandbox, or for tests marked e2e the real control plane (tests/conftest.py)."""
    real = request.node.get_closest_marker("e2e") is not None
    with BrandSandbox.run_in_thread(str(tmp_path / "brand.db")) as brand, \
            (world_on_a_real_cluster(request, tmp_path, brand) if real else world_on_the_sandbox(tmp_path, brand)) \
            as world:
        world.start_operator()
        try:
            yield world
        finally:
            try:
                if real:  # the cluster outlives the test: leave it as the test found it, failed or not
                    clean_up_real_cluster(world)
            finally:
                world.stop_operator()
                world.api.close()
        records = world.log_records()
        assert not [r for r in records if "Traceback" in str(r.get("exc_info", ""))
                    and r.get("level") in ("ERROR", "CRITICAL")], "the operator logged an unexpected error"
        leaked = [token for token in brand.tokens.values() if token in world.log_text()]
        assert leaked == [], "a brand token reached the operator log"


@pytest.fixture
def examples(world: World) -> list[dict[str, Any]]:
    return example_documents(world.brand.base_url, world.brand_token())


@pytest.fixture
def examples_with_salesforce(world: World) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    """examples/ including the SalesforceLinks, for a Salesforce sandbox's credentials (plus `ca_pem`)."""
    return lambda salesforce: example_documents(world.brand.base_url, world.brand_token(), salesforce=salesforce)
