"""Shared machinery of the benchmarks: sandboxes and operators as processes, the workload, and the meters.

Every server runs in its own process on a free loopback port, so the operator under test competes
with the sandboxes for CPU the way it would with a real API server, and every figure comes from
outside the operator: /proc for its CPU and memory, the brand sandbox's audit totals for brand
calls, the kube sandbox's request counters for Kubernetes API calls.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = "qxo-bench"
GROUP, VERSION = "qxo.dev", "v1alpha1"
PLURALS = {"QualtricsBrand": "qualtricsbrands", "ExtensionInstall": "extensioninstalls",
           "ExtensionAccount": "extensionaccounts", "AccountGrant": "accountgrants",
           "SalesforceLink": "salesforcelinks"}
# The kinds every ReadyWatch follows; SalesforceLink only when a run declares links, so the kube call
# counts of runs without links stay what they were.
WATCHED = ("QualtricsBrand", "ExtensionInstall", "ExtensionAccount", "AccountGrant")
GROUPS = ("CX Analysts", "Support Leads", "Marketing")
USERS = ("ana.lima@acme.example", "ben.okafor@acme.example", "chen.wei@acme.example", "dana.berg@acme.example")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _wait_file(path: Path, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size > 0):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} was not ready within {timeout}s")
        time.sleep(0.05)
    time.sleep(0.1)  # the writer may still be flushing


class Process:
    """A child process in its own session (so a kill takes its children too), logging to a file."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.argv, self.log_path, self.env = argv, log, env
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log_path.open("a") as log:
            log.write(f"---- start {self.starts}\n")
        handle = self.log_path.open("a")
        self.proc = subprocess.Popen(self.argv, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **(self.env or {})})
        handle.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def cpu_seconds(self) -> float:
        """utime + stime of the process itself, from /proc/<pid>/stat."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def workdir(keep_logs: str | None, prefix: str) -> Iterator[Path]:
    """Where a run keeps its databases, kubeconfigs and logs: `keep_logs` if given, else a temporary folder."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        path = Path(keep_logs) if keep_logs else Path(tmp)
        path.mkdir(parents=True, exist_ok=True)
        yield path


def free_port() -> int:
    """A port free right now on 127.0.0.1 (for servers that cannot be told to pick their own)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def qxo(*args: str) -> list[str]:
    return [sys.executable, "-m", "qxo", *args]


def qxo_operator(*args: str) -> list[str]:
    """`qxo operator` allowed to call the sandboxes, which all listen on 127.0.0.1."""
    return qxo("operator", "--allow-endpoint", "127.0.0.1", *args)


class KubeSandbox:
    def __init__(self, workdir: Path, name: str = "kube") -> None:
        self.kubeconfig = workdir / f"{name}.kubeconfig"
        self.process = Process(qxo("sandbox", "kube", "--port", "0", "--kubeconfig", str(self.kubeconfig)),
                               workdir / f"{name}.log")

    def start(self) -> KubeSandbox:
        self.process.start()
        _wait_file(self.kubeconfig, self.process.proc, "the kube sandbox")
        self.url = yaml.safe_load(self.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
        return self

    def stats(self) -> int:
        return self.stats_by_verb()["total"]

    def stats_by_verb(self) -> dict[str, Any]:
        """{"total": n, "requests": {verb: {resource: n}}} since the sandbox started."""
        with urllib.request.urlopen(f"{self.url}/_sandbox/stats") as response:
            return json.load(response)


class ControlPlaneProcess(Process):
    """hack/real-cluster: its CPU is that of etcd, kube-apiserver and kube-controller-manager, its children."""

    def cpu_seconds(self) -> float:
        total, todo = 0.0, [self.pid]
        while todo:
            pid = todo.pop()
            with contextlib.suppress(OSError, ValueError):
                stat = Path(f"/proc/{pid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                total += (int(fields[11]) + int(fields[12])) / CLK_TCK
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(child) for child in (task / "children").read_text().split()]
        return total


class RealKube:
    """The real control plane (hack/real-cluster) where a benchmark would use the kube sandbox.

    Same interface as KubeSandbox: a kubeconfig (the admin's), `process`, and request counts by verb
    and resource, read from the API server's own `apiserver_request_total` (every client's requests,
    as the sandbox counts them; discovery and OpenAPI left out, as there).
    """

    VERBS = {"POST": "create", "GET": "get", "LIST": "list", "WATCH": "watch", "PATCH": "patch", "PUT": "update",
             "DELETE": "delete", "APPLY": "patch"}

    def __init__(self, workdir: Path, name: str = "kube") -> None:
        self.kubeconfig = workdir / f"{name}.kubeconfig"
        self.process = ControlPlaneProcess(
            [str(ROOT / "hack" / "real-cluster"), "--kubeconfig", str(self.kubeconfig),
             "--workdir", str(workdir / f"{name}-plane")], workdir / f"{name}.log")

    def start(self) -> RealKube:
        self.process.start()
        # A cold build of the control plane takes minutes; a cached one starts in seconds.
        _wait_file(self.kubeconfig, self.process.proc, "the real control plane", timeout=1800)
        config = yaml.safe_load(self.kubeconfig.read_text())
        self.url = config["clusters"][0]["cluster"]["server"]
        self._token = config["users"][0]["user"]["token"]
        ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"])
        self._tls = ssl.create_default_context(cadata=ca.decode())
        return self

    def stats(self) -> int:
        return self.stats_by_verb()["total"]

    def stats_by_verb(self) -> dict[str, Any]:
        request = urllib.request.Request(f"{self.url}/metrics", headers={"Authorization": f"Bearer {self._token}"})
        with urllib.request.urlopen(request, context=self._tls) as response:
            text = response.read().decode()
        counts: dict[str, dict[str, int]] = {}
        total = 0
        for family in text_string_to_metric_families(text):
            if family.name != "apiserver_request":
                continue
            for sample in family.samples:
                labels = sample.labels
                if sample.name != "apiserver_request_total" or not labels.get("resource"):
                    continue  # discovery, OpenAPI, health: not counted by the sandbox either
                verb = self.VERBS.get(labels.get("verb", ""), labels.get("verb", "").lower())
                resource = labels["resource"] + (f"/{labels['subresource']}" if labels.get("subresource") else "")
                counts.setdefault(verb, {})[resource] = counts.get(verb, {}).get(resource, 0) + int(sample.value)
                total += int(sample.value)
        return {"total": total, "requests": counts}


def kube_for(kind: str, workdir: Path, name: str = "kube") -> KubeSandbox | RealKube:
    """The Kubernetes a benchmark runs against: the kube sandbox, or (`real`) the real control plane."""
    return RealKube(workdir, name) if kind == "real" else KubeSandbox(workdir, name)


class BrandSandbox:
    def __init__(self, workdir: Path, *, latency_ms: float = 0, rate_limit: int | None = None,
                 extra_extensions: int = 0, faults: str | None = None, seed: int = 0, name: str = "brand") -> None:
        self.credentials_path = workdir / f"{name}.credentials.json"
        self.db_path = workdir / f"{name}.db"
        argv = qxo("sandbox", "brand", "--port", "0", "--db", str(self.db_path),
                   "--credentials-out", str(self.credentials_path), "--latency-ms", str(latency_ms),
                   "--extra-extensions", str(extra_extensions), "--seed", str(seed))
        if rate_limit:
            argv += ["--rate-limit", str(rate_limit)]
        if faults:
            argv += ["--faults", faults]
        self.process = Process(argv, workdir / f"{name}.log")

    def start(self) -> BrandSandbox:
        self.process.start()
        _wait_file(self.credentials_path, self.process.proc, "the brand sandbox")
        self.credentials = json.loads(self.credentials_path.read_text())
        self.url = self.credentials["base_url"]
        self.token = self.credentials["tokens"]["admin@acme.example"]
        return self

    def totals(self) -> dict[str, int]:
        """reads, writes, changes (writes that changed something), tokens and the last audit seq."""
        with urllib.request.urlopen(f"{self.url}/_sandbox/audit?limit=0") as response:
            document = json.load(response)
        return {**document["totals"], "last": document["last"]}

    def audit(self, since: int = 0) -> list[dict[str, Any]]:
        entries = []
        while True:
            with urllib.request.urlopen(f"{self.url}/_sandbox/audit?since={since}&limit=5000") as response:
                page = json.load(response)["entries"]
            if not page:
                return entries
            entries += page
            since = page[-1]["seq"]

    def call(self, method: str, path: str, body: Any = None, user: str = "admin@acme.example") -> Any:
        request = urllib.request.Request(
            f"{self.url}/API/v3{path}", method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"X-API-TOKEN": self.credentials["tokens"][user], "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
        return json.loads(payload)["result"] if payload else None

    def paged(self, path: str) -> list[dict[str, Any]]:
        elements, url = [], path + ("&" if "?" in path else "?") + "pageSize=500"
        while url:
            result = self.call("GET", url)
            elements += result["elements"]
            following = result.get("nextPage")
            url = following.split("/API/v3", 1)[1] if following else None
        return elements

    def put_faults(self, spec: dict[str, Any]) -> None:
        request = urllib.request.Request(f"{self.url}/_sandbox/faults", method="PUT", data=json.dumps(spec).encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request).close()


class SalesforceSandbox:
    """The Salesforce sandbox org over HTTPS: its CA, its OAuth client and the tokens it mints."""

    def __init__(self, workdir: Path, name: str = "salesforce") -> None:
        self.ca_path = workdir / f"{name}.ca.pem"
        self.credentials_path = workdir / f"{name}.credentials.json"
        self.process = Process(qxo("sandbox", "salesforce", "--port", "0", "--ca-out", str(self.ca_path),
                                   "--credentials-out", str(self.credentials_path)), workdir / f"{name}.log")

    def start(self) -> SalesforceSandbox:
        self.process.start()
        _wait_file(self.credentials_path, self.process.proc, "the Salesforce sandbox")
        self.credentials = json.loads(self.credentials_path.read_text())
        self.url = self.credentials["login_url"]
        self.ca_pem = self.ca_path.read_text()
        self._tls = ssl.create_default_context(cafile=str(self.ca_path))
        self.organization_id = self.call("GET", "/_sandbox/org")["organizationId"]
        return self

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30, context=self._tls) as response:
            return json.load(response)

    def mint_refresh_token(self) -> str:
        return self.call("POST", "/_sandbox/tokens/mint")["refresh_token"]

    def revoke_refresh_token(self, token: str) -> None:
        self.call("POST", "/_sandbox/tokens/revoke", {"refresh_token": token})

    def fail_token_calls(self, count: int) -> None:
        """The next `count` token requests answer 503 (the org's `tokenEndpointFailures` knob)."""
        self.call("PATCH", "/_sandbox/org", {"knobs": {"tokenEndpointFailures": count}})

    def stats(self) -> dict[str, int]:
        return self.call("GET", "/_sandbox/stats")


class Cluster:
    """The kubernetes client on a kube sandbox: CRDs, the namespace, creating and watching objects."""

    def __init__(self, kube: KubeSandbox) -> None:
        self.kube = kube
        self.api = k8s_config.new_client_from_config(config_file=str(kube.kubeconfig))
        self.custom = k8s.CustomObjectsApi(self.api)
        self.core = k8s.CoreV1Api(self.api)

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["kubectl", "--kubeconfig", str(self.kube.kubeconfig), *args], input=input,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)}: {result.stderr}")
        return result

    def apply_crds(self) -> None:
        files = sorted((ROOT / "crds").glob("qxo.dev_*.yaml"))  # crds/ also holds a kustomization
        self.kubectl("apply", *(arg for path in files for arg in ("-f", str(path))))

    def prepare(self) -> None:
        self.apply_crds()
        self.core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})

    def create(self, documents: Iterable[dict[str, Any]]) -> None:
        for document in documents:
            if document["kind"] == "Secret":
                self.core.create_namespaced_secret(NAMESPACE, document)
            elif document["kind"] == "ConfigMap":
                self.core.create_namespaced_config_map(NAMESPACE, document)
            else:
                self.custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURALS[document["kind"]],
                                                            document)

    def patch(self, kind: str, name: str, body: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURALS[kind], name, body)

    def list(self, kind: str) -> list[dict[str, Any]]:
        return self.custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURALS[kind])["items"]

    def close(self) -> None:
        self.api.close()


def is_ready(body: dict[str, Any]) -> bool:
    status = body.get("status") or {}
    if status.get("observedGeneration") != body["metadata"].get("generation"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())


@dataclass
class ReadyWatch:
    """Watches the qxo kinds (one stream per kind) and notes when each object first and last became Ready."""

    cluster: Cluster
    expected: set[tuple[str, str]]
    ready: set[tuple[str, str]] = field(default_factory=set)
    first_ready: dict[tuple[str, str], float] = field(default_factory=dict)  # monotonic time, first Ready seen
    stop: threading.Event = field(default_factory=threading.Event)
    all_ready: threading.Event = field(default_factory=threading.Event)

    def start(self) -> ReadyWatch:
        self._lock = threading.Lock()
        self._heard: dict[str, float] = {}  # when each kind's stream last brought an object
        self._kinds = [*WATCHED, *sorted({kind for kind, _ in self.expected} - set(WATCHED))]
        self._threads = [threading.Thread(target=self._watch, args=(kind,), daemon=True) for kind in self._kinds]
        for thread in self._threads:
            thread.start()
        return self

    def _watch(self, kind: str) -> None:
        version = None
        while not self.stop.is_set():
            try:
                if version is None:
                    listing = self.cluster.custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE,
                                                                                PLURALS[kind])
                    for body in listing["items"]:
                        self._note(kind, body)
                    version = listing["metadata"]["resourceVersion"]
                stream = k8s_watch.Watch().stream(
                    self.cluster.custom.list_namespaced_custom_object, GROUP, VERSION, NAMESPACE, PLURALS[kind],
                    resource_version=version, timeout_seconds=5, allow_watch_bookmarks=True)
                for event in stream:
                    body = event["object"]
                    version = body["metadata"]["resourceVersion"]
                    if event["type"] != "BOOKMARK":
                        self._note(kind, body, deleted=event["type"] == "DELETED")
            except k8s.exceptions.ApiException as error:
                if error.status == 410:
                    version = None
                else:
                    time.sleep(0.5)
            except Exception:
                time.sleep(0.5)

    def _note(self, kind: str, body: dict[str, Any], deleted: bool = False) -> None:
        key = (kind, body["metadata"]["name"])
        with self._lock:
            self._heard[kind] = time.monotonic()
            if is_ready(body) and not deleted:
                self.ready.add(key)
                self.first_ready.setdefault(key, time.monotonic())
            else:
                self.ready.discard(key)
            if self.expected <= self.ready:
                self.all_ready.set()
            else:
                self.all_ready.clear()

    def wait(self, timeout: float, relist_every: float = 3.0) -> bool:
        """True once every expected object is Ready. A kind with objects not yet Ready whose stream brought
        nothing for a few seconds is listed in full, so one stream that stalls cannot hang a run; a kind
        whose stream is busy is not (a list of thousands every few seconds would load the API server the
        operator is measured against)."""
        deadline = time.monotonic() + timeout
        while not self.all_ready.wait(min(relist_every, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                return False
            waiting = {kind for kind, _ in self.missing()}
            for kind in self._kinds:
                if kind in waiting and time.monotonic() - self._heard.get(kind, 0.0) >= relist_every:
                    for body in self.cluster.list(kind):
                        self._note(kind, body)
        return True

    def timeline(self, started: float) -> dict[str, dict[str, float]]:
        """Per kind, the seconds after `started` by which the first, half and all of its objects were Ready:
        which kind the run waited on last."""
        by_kind: dict[str, list[float]] = {}
        with self._lock:
            for (kind, _), at in self.first_ready.items():
                by_kind.setdefault(kind, []).append(at - started)
        return {kind: {"first": round(min(times), 2), "half": round(statistics.median(times), 2),
                       "all": round(max(times), 2)} for kind, times in sorted(by_kind.items())}

    def missing(self) -> list[tuple[str, str]]:
        with self._lock:
            return sorted(self.expected - self.ready)

    def close(self) -> None:
        self.stop.set()


def stop_on_sigterm() -> None:
    """SIGTERM (and SIGINT where a background shell ignores it) unwinds, so every child process is stopped."""
    def leave(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, leave)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
