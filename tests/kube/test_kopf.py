"""A minimal kopf operator runs unchanged against the sandbox: create, update, delete with finalizer, resume."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import kopf
import kubernetes
import pytest
from tests.kube.conftest import widget, widget_crd

pytestmark = pytest.mark.slow


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


class Operator:
    """kopf in its own thread and loop, as qxo runs it; restartable to prove resumption."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.calls: list[tuple[str, str]] = []
        self.registry = kopf.OperatorRegistry()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._register()

    def _register(self) -> None:
        registry, calls, url = self.registry, self.calls, self.url

        @kopf.on.login(registry=registry)
        def login(**_):
            return kopf.ConnectionInfo(server=url, insecure=True, default_namespace="default")

        @kopf.on.startup(registry=registry)
        def configure(settings: kopf.OperatorSettings, **_):
            settings.persistence.finalizer = "qxo.dev/finalizer"
            settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="qxo.dev")
            settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix="qxo.dev")
            settings.watching.server_timeout = 60

        @kopf.on.create("test.qxo.dev", "v1", "widgets", registry=registry)
        @kopf.on.update("test.qxo.dev", "v1", "widgets", registry=registry)
        @kopf.on.resume("test.qxo.dev", "v1", "widgets", registry=registry)
        def reconcile(name, reason, spec, patch, meta, body, **_):
            calls.append((str(reason), name))
            kopf.info(body, reason="Reconciled", message=f"reconciled on {reason}")
            patch.status["observedGeneration"] = meta["generation"]
            patch.status["conditions"] = [{"type": "Ready", "status": "True", "reason": "Reconciled",
                                           "message": spec["size"]}]

        @kopf.on.delete("test.qxo.dev", "v1", "widgets", registry=registry)
        def remove(name, **_):
            calls.append(("delete", name))

    def start(self) -> None:
        self._stop = threading.Event()
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(kopf.operator(
                    registry=self.registry, standalone=True, namespaces=["default"],
                    stop_flag=self._stop, ready_flag=ready,
                ))
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(30)

    def stop(self) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(30)
        assert not self._thread.is_alive()


@pytest.fixture
def client(threaded):
    config = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=threaded.kubeconfig_path, client_configuration=config)
    api = kubernetes.client.ApiClient(config)
    kubernetes.client.ApiextensionsV1Api(api).create_custom_resource_definition(widget_crd())
    yield kubernetes.client.CustomObjectsApi(api)
    api.close()


def _get(client, name):
    try:
        return client.get_namespaced_custom_object("test.qxo.dev", "v1", "default", "widgets", name)
    except kubernetes.client.ApiException as error:
        if error.status == 404:
            return None
        raise


def test_kopf_creates_updates_deletes_with_finalizer_and_resumes(threaded, client):
    operator = Operator(threaded.url)
    operator.start()
    try:
        client.create_namespaced_custom_object("test.qxo.dev", "v1", "default", "widgets", widget("w1"))
        ready = wait_for(lambda: (_get(client, "w1") or {}).get("status", {}).get("conditions"))
        assert ready[0]["message"] == "small"
        assert "qxo.dev/finalizer" in _get(client, "w1")["metadata"]["finalizers"]
        assert operator.calls == [("create", "w1")]
        core = kubernetes.client.CoreV1Api(client.api_client)
        wait_for(lambda: any(  # kopf posts an event per handler outcome, in the background
            e.reason == "Reconciled" for e in core.list_namespaced_event(
                "default", field_selector="involvedObject.name=w1,involvedObject.kind=Widget").items))

        client.patch_namespaced_custom_object("test.qxo.dev", "v1", "default", "widgets", "w1",
                                              {"spec": {"size": "large"}})
        wait_for(lambda: ("update", "w1") in operator.calls)
        wait_for(lambda: _get(client, "w1")["status"]["conditions"][0]["message"] == "large")
        assert _get(client, "w1")["status"]["observedGeneration"] == 2
    finally:
        operator.stop()

    # while the operator is down, one object appears; after the restart kopf must resume the old one
    # and create the new one, never replaying the old create (its progress lives in annotations)
    client.create_namespaced_custom_object("test.qxo.dev", "v1", "default", "widgets", widget("w2"))
    operator.calls.clear()
    operator.start()
    try:
        wait_for(lambda: ("resume", "w1") in operator.calls and ("create", "w2") in operator.calls)
        assert ("create", "w1") not in operator.calls

        client.delete_namespaced_custom_object("test.qxo.dev", "v1", "default", "widgets", "w1")
        wait_for(lambda: _get(client, "w1") is None)
        assert ("delete", "w1") in operator.calls
    finally:
        operator.stop()
