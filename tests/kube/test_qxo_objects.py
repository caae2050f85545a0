"""qxo's lister of its own objects (what a brand's finalizer asks when the watches have not listed its dependents)
against the kube sandbox, through the official client: every page, one namespace or all."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import kubernetes
import pytest

from qxo.kube import objects
from qxo.kube.objects import KubeObjects
from qxo.sandbox.kube import KubeSandbox

CRDS = Path(__file__).resolve().parents[2] / "crds"


@pytest.fixture
def cluster(tmp_path):
    with KubeSandbox.run_in_thread(kubeconfig_path=tmp_path / "kubeconfig") as handle:
        env = {**os.environ, "KUBECONFIG": handle.kubeconfig_path, "KUBECACHEDIR": str(tmp_path / "cache")}
        crd = CRDS / "qxo.dev_extensioninstalls.yaml"
        subprocess.run(["kubectl", "apply", "-f", str(crd)], env=env, check=True, capture_output=True, timeout=60)
        client = kubernetes.config.new_client_from_config(config_file=str(handle.kubeconfig_path))
        custom = kubernetes.client.CustomObjectsApi(client)
        for namespace, count in (("team-a", 5), ("team-b", 2)):
            kubernetes.client.CoreV1Api(client).create_namespace({"metadata": {"name": namespace}})
            for index in range(count):
                custom.create_namespaced_custom_object(
                    "qxo.dev", "v1alpha1", namespace, "extensioninstalls",
                    {"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionInstall",
                     "metadata": {"name": f"install-{index}"},
                     "spec": {"brandRef": {"name": "acme"}, "extensionId": f"extension-{index}"}})
        yield client
        client.close()


async def test_lists_every_page_of_one_namespace_or_of_all(cluster, monkeypatch):
    monkeypatch.setattr(objects, "PAGE", 2)  # 5 objects: three pages, joined by `continue`
    lister = KubeObjects(cluster)

    in_a = await lister.list_objects("extensioninstalls", "team-a")
    everywhere = await lister.list_objects("extensioninstalls", None)

    assert sorted(o["metadata"]["name"] for o in in_a) == [f"install-{i}" for i in range(5)]
    assert {o["metadata"]["namespace"] for o in in_a} == {"team-a"}
    assert len(everywhere) == 7 and {o["metadata"]["namespace"] for o in everywhere} == {"team-a", "team-b"}
    assert await lister.list_objects("extensioninstalls", "team-c") == []
