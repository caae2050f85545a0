"""The vocabulary of the differential table and its runner: a case is a name, setup steps and the steps
under test, run once against the kube sandbox and once against the real API server.

Steps are plain data. A value may be a `Ref` to an earlier answer on the same server (a resourceVersion, a
continue token), and `{ns}` in any string is the case's own namespace, created on both servers before the
setup runs. What each step under test answered is observed (status code, Status reason and causes, warnings,
the normalised body), then the collections the steps touched are listed again: the effect. The table
compares the two observations; a case marked `Known` must differ exactly as recorded.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml
from conformancenorm import Normaliser, scrub

JSON = "application/json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
# namespaces differ between runs, so a rerun against a kept cluster (QXO_E2E_KUBECONFIG) starts afresh
RUN = f"-{os.getpid() % 46656:03x}"


@dataclass(frozen=True)
class Ref:
    """A value taken from an earlier answer on the same server: `Ref("w", "metadata.resourceVersion")`."""

    saved: str
    path: str
    minus: int = 0  # for a resourceVersion older than the one saved

    def resolve(self, saved: Mapping[str, Any]) -> Any:
        value: Any = saved[self.saved]
        for part in self.path.split("."):
            value = value[int(part)] if isinstance(value, list) else value[part]
        return str(int(value) - self.minus) if self.minus else value


@dataclass(frozen=True)
class Call:
    """One request. `save` keeps the answer for later Refs; `view` picks what clients read of it;
    `message` compares the Status message too (where its wording matters to qxo or kubectl users)."""

    method: str
    path: str
    body: Any = None
    content_type: str = JSON
    query: Mapping[str, Any] = field(default_factory=dict)
    accept: str = ""
    save: str = ""
    view: Callable[[Any], Any] | None = None
    message: bool = False


@dataclass(frozen=True)
class WatchOpen:
    """Start a watch and leave it open while later steps write; `WatchRead` collects what it sent."""

    name: str
    path: str
    query: Mapping[str, Any] = field(default_factory=dict)
    accept: str = ""


@dataclass(frozen=True)
class WatchRead:
    """The events of an open watch: up to `events` of them, or whatever came before the stream closed or
    `seconds` passed. With `until_closed` the stream is read to its end (its timeoutSeconds)."""

    name: str
    events: int = 1000
    seconds: float = 5.0
    until_closed: bool = False
    message: bool = False
    view: Callable[[list[Any]], Any] | None = None  # what a client reads of the normalised events


@dataclass(frozen=True)
class Await:
    """Wait (at most `seconds`) until GET `path` answers `code`: for controllers that act within moments
    on the real server (garbage collection, namespace deletion) and at once in the sandbox."""

    path: str
    code: int = 404
    seconds: float = 30.0
    until: Callable[[Any], bool] | None = None  # and, with code 200, until the object answered satisfies this


Step = Call | WatchOpen | WatchRead | Await


@dataclass(frozen=True)
class Known:
    """A documented difference: the section `doc` of docs/kube-sandbox.md explains why it cannot matter to
    qxo, and `diff` is exactly how the two answers differ (path -> [sandbox, real])."""

    doc: str
    diff: Mapping[str, list[Any]]


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[Step, ...]
    setup: tuple[Step, ...] = ()
    # collections listed after the steps; None lists every namespaced collection the steps touched
    effect: tuple[str, ...] | None = None
    known: Known | None = None
    # cluster-scoped objects the case makes (paths), deleted after the table ran
    cleanup: tuple[str, ...] = ()

    @property
    def namespace(self) -> str:
        slug = re.sub(r"[^a-z0-9-]+", "-", self.name.lower()).strip("-")[:34].rstrip("-")
        return f"cf-{slug}-{hashlib.sha256(self.name.encode()).hexdigest()[:5]}{RUN}"


class SetupFailed(AssertionError):
    pass


# -- the two servers ----------------------------------------------------------------------------------


class Server:
    """Plain HTTP to one API server, so the table sees exactly what it answers."""

    def __init__(self, name: str, url: str, *, token: str | None = None, ca_file: str | None = None,
                 client_cert: tuple[str, str] | None = None) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy, and no CA bundle from the environment over ours
        self.session.verify = ca_file or True
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if client_cert:
            self.session.cert = client_cert

    @classmethod
    def from_kubeconfig(cls, name: str, path: Path, workdir: Path) -> Server:
        config = yaml.safe_load(path.read_text())
        context = next(c for c in config["contexts"] if c["name"] == config["current-context"])["context"]
        cluster = next(c for c in config["clusters"] if c["name"] == context["cluster"])["cluster"]
        user = next(u for u in config["users"] if u["name"] == context["user"])["user"]

        def written(key: str, suffix: str) -> str | None:
            if key not in cluster and key not in user:
                return None
            target = workdir / f"{name}-{suffix}"
            target.write_bytes(base64.b64decode(cluster.get(key) or user[key]))
            return str(target)

        ca = written("certificate-authority-data", "ca.pem") or cluster.get("certificate-authority")
        cert, key = written("client-certificate-data", "cert.pem"), written("client-key-data", "key.pem")
        return cls(name, cluster["server"], token=user.get("token"), ca_file=ca,
                   client_cert=(cert, key) if cert and key else None)

    def request(self, method: str, path: str, body: Any = None, *, content_type: str = JSON,
                query: Mapping[str, Any] | None = None, accept: str = "", stream: bool = False,
                timeout: float = 30.0) -> requests.Response:
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers = {"Content-Type": content_type, "Accept": accept or JSON}
        return self.session.request(method, self.url + path, data=data, params=dict(query or {}),
                                    headers=headers, stream=stream, timeout=timeout)


def warnings_of(response: requests.Response) -> list[str]:
    """The texts of the `Warning: 299 - "..."` headers (requests joins repeated headers with commas)."""
    header = response.headers.get("Warning", "")
    return [json.loads(f'"{text}"') for text in re.findall(r'299 - "((?:[^"\\]|\\.)*)"', header)]


def body_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


# -- running a case on one server ---------------------------------------------------------------------


def _resolve(value: Any, saved: Mapping[str, Any], namespace: str) -> Any:
    if isinstance(value, Ref):
        return value.resolve(saved)
    if isinstance(value, str):
        return value.replace("{ns}", namespace)
    if isinstance(value, Mapping):
        return {_resolve(k, saved, namespace): _resolve(v, saved, namespace) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(v, saved, namespace) for v in value]
    return value


_COLLECTION = re.compile(r"^(/api/v1|/apis/[^/]+/[^/]+)/namespaces/([^/]+)/([^/?]+)")


def touched_collections(case: Case) -> list[str]:
    paths = []
    for step in (*case.setup, *case.steps):
        if isinstance(step, Call | WatchOpen) and (match := _COLLECTION.match(step.path)):
            collection = match.group(0)
            if collection not in paths:
                paths.append(collection)
    return paths


class Run:
    """One case on one server: the saved answers, the open watches, and what was observed."""

    def __init__(self, server: Server, case: Case) -> None:
        self.server = server
        self.case = case
        self.namespace = case.namespace
        self.saved: dict[str, Any] = {}
        self.watches: dict[str, WatchStream] = {}
        self.norm = Normaliser()

    def _call(self, step: Call) -> requests.Response:
        resolve = lambda value: _resolve(value, self.saved, self.namespace)  # noqa: E731
        body = resolve(step.body)
        if step.content_type == APPLY and body is not None and not isinstance(body, str):
            body = yaml.safe_dump(body)
        response = self.server.request(step.method, resolve(step.path), body, content_type=step.content_type,
                                       query=resolve(step.query), accept=step.accept)
        if step.save:
            self.saved[step.save] = body_of(response)
        return response

    def setup(self) -> None:
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}}
        created = self.server.request("POST", "/api/v1/namespaces", namespace)
        if created.status_code != 201:
            raise SetupFailed(f"{self.server.name}: namespace {self.namespace}: {created.status_code} {created.text}")
        for step in self.case.setup:
            if isinstance(step, Call):
                response = self._call(step)
                if response.status_code >= 300:
                    raise SetupFailed(f"{self.server.name}: setup {step.method} {step.path} answered "
                                      f"{response.status_code}: {response.text[:2000]}")
            else:
                self._other(step)

    def _other(self, step: Step) -> Any:
        if isinstance(step, WatchOpen):
            query = {**_resolve(step.query, self.saved, self.namespace), "watch": "true"}
            response = self.server.request("GET", _resolve(step.path, self.saved, self.namespace), query=query,
                                           accept=step.accept, stream=True, timeout=60.0)
            self.watches[step.name] = WatchStream(response)
            return {"code": response.status_code}
        if isinstance(step, WatchRead):
            return self._read_watch(step)
        if isinstance(step, Await):
            return self._await(step)
        raise TypeError(step)

    def _read_watch(self, step: WatchRead) -> dict[str, Any]:
        events, closed = self.watches[step.name].read(step.events, step.seconds)
        observed = [self.norm.event(event, step.message) for event in events]
        if step.view is not None:
            observed = step.view(observed)
        return {"events": observed, **({"closed": closed} if step.until_closed else {})}

    def _await(self, step: Await) -> dict[str, Any]:
        path = _resolve(step.path, self.saved, self.namespace)
        deadline = time.monotonic() + step.seconds
        while True:
            response = self.server.request("GET", path)
            settled = step.until is None or (response.status_code == 200 and step.until(body_of(response)))
            if (response.status_code == step.code and settled) or time.monotonic() > deadline:
                return {"code": response.status_code, "settled": settled}
            time.sleep(0.1)

    def steps(self) -> list[Any]:
        observed = []
        for step in self.case.steps:
            if isinstance(step, Call):
                response = self._call(step)
                body = body_of(response)
                view = step.view(body) if step.view is not None and response.status_code < 300 else None
                observed.append({
                    "code": response.status_code,
                    "warnings": warnings_of(response),
                    "body": self.norm.answer(view if view is not None else body, step.message, raw=view is not None),
                })
            else:
                observed.append(self._other(step))
        return observed

    def effect(self) -> dict[str, Any]:
        paths = touched_collections(self.case) if self.case.effect is None else list(self.case.effect)
        out = {}
        for path in paths:
            path = _resolve(path, self.saved, self.namespace)
            response = self.server.request("GET", path)
            body = body_of(response)
            items = body.get("items") if isinstance(body, dict) else None
            out[path] = (
                [self.norm.answer(item) for item in items] if items is not None else self.norm.answer(body))
        return out

    def close(self) -> None:
        for watch in self.watches.values():
            watch.close()


class WatchStream:
    """The lines of a watch, read by a thread into a queue so a reader can wait with a deadline."""

    CLOSED = object()

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.queue: queue.Queue[Any] = queue.Queue()
        self.closed = False
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        try:
            for line in self.response.iter_lines(chunk_size=None):
                if line.strip():
                    self.queue.put(json.loads(line))
        except Exception:  # closed under the reader: the stream is over either way
            pass
        self.queue.put(self.CLOSED)

    def read(self, count: int, seconds: float) -> tuple[list[Any], bool]:
        events: list[Any] = []
        deadline = time.monotonic() + seconds
        while len(events) < count and not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                item = self.queue.get(timeout=left)
            except queue.Empty:
                break
            if item is self.CLOSED:
                self.closed = True
            else:
                events.append(item)
        return events, self.closed

    def close(self) -> None:
        # the pump thread holds the socket in a read: shut it down first, or closing waits for that read
        connection = getattr(self.response.raw, "_connection", None)
        with contextlib.suppress(Exception):
            connection.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            self.response.close()


def observe(server: Server, case: Case) -> dict[str, Any]:
    """What `server` answered to `case`, normalised; the case's namespace is left for the caller to delete."""
    run = Run(server, case)
    try:
        run.setup()
        return scrub({"steps": run.steps(), "effect": run.effect()}, case.namespace)
    finally:
        run.close()


def cleanup(server: Server, cases: list[Case]) -> None:
    """Release what the cases left holding a finalizer, then delete their namespaces and cluster objects."""
    for case in cases:
        for path in touched_collections(case):
            listing = body_of(server.request("GET", path.replace("{ns}", case.namespace)))
            for item in (listing.get("items") or []) if isinstance(listing, dict) else []:
                if item["metadata"].get("finalizers"):
                    server.request("PATCH", f"{path.replace('{ns}', case.namespace)}/{item['metadata']['name']}",
                                   {"metadata": {"finalizers": None}}, content_type=MERGE)
        for path in case.cleanup:
            server.request("DELETE", path.replace("{ns}", case.namespace))
        server.request("DELETE", f"/api/v1/namespaces/{case.namespace}")
