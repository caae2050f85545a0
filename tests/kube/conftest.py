"""Fixtures for the kube sandbox: one in the test's loop for HTTP tests, one in a thread for sync clients."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from qxo.sandbox.kube.fixtures import kube_sandbox, kube_sandbox_thread  # noqa: F401

DATA = Path(__file__).parent / "data"


def widget_crd() -> dict[str, Any]:
    return yaml.safe_load((DATA / "widgets.yaml").read_text())


class Api:
    """A thin HTTP client so tests see exactly what the server answers."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def call(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
                   params: dict[str, str] | None = None, headers: dict[str, str] | None = None):
        data = None if body is None else (body if isinstance(body, bytes | str) else __import__("json").dumps(body))
        async with self.session.request(
            method, self.url + path, data=data, params=params,
            headers={"Content-Type": content_type, **(headers or {})},
        ) as response:
            payload = None
            if response.content_length != 0:  # a Status, or the plain text of the real server's mux 404
                plain = response.content_type == "text/plain"
                payload = await response.text() if plain else await response.json(content_type=None)
            return response.status, payload, response.headers

    async def ok(self, method: str, path: str, body: Any = None, **kwargs) -> Any:
        status, payload, _ = await self.call(method, path, body, **kwargs)
        assert status < 300, (status, payload)
        return payload


@pytest.fixture
def sandbox(request):
    return request.getfixturevalue("kube_sandbox")


@pytest.fixture
async def api(sandbox):
    async with aiohttp.ClientSession() as session:
        yield Api(session, sandbox.url)


@pytest.fixture
async def widgets(api):
    """The sandbox with the Widget CRD applied."""
    await api.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widget_crd())
    return api


WIDGETS = "/apis/test.qxo.dev/v1/namespaces/default/widgets"


def widget(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "metadata": {"name": name},
            "spec": {"size": "small", **spec}}


@pytest.fixture
def threaded(request):
    return request.getfixturevalue("kube_sandbox_thread")


@pytest.fixture
def kubectl(threaded, tmp_path):
    env = {**os.environ, "KUBECONFIG": threaded.kubeconfig_path, "KUBECACHEDIR": str(tmp_path / "cache")}

    def run(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, env=env,
                                timeout=60)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run
