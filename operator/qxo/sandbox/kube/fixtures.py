"""pytest fixtures for any test that needs a Kubernetes API: import them into a conftest.py.

    from qxo.sandbox.kube.fixtures import kube_sandbox, kube_sandbox_thread  # noqa: F401

`kube_sandbox` runs in the test's own event loop (async tests); `kube_sandbox_thread` runs in a
thread with its own loop and writes a kubeconfig, for kubectl, the kubernetes client and kopf.
Both bind a free port on 127.0.0.1 and are stopped when the test ends.
"""

from __future__ import annotations

import pytest

from qxo.sandbox.kube.server import KubeSandbox


@pytest.fixture
async def kube_sandbox():
    sandbox = KubeSandbox()
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
def kube_sandbox_thread(tmp_path):
    with KubeSandbox.run_in_thread(kubeconfig_path=tmp_path / "kubeconfig") as handle:
        yield handle
