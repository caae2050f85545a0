"""The official `kubernetes` client, unchanged: CRUD, patches, conflicts and a watch resumed from a resourceVersion."""

from __future__ import annotations

import kubernetes
import pytest
from kubernetes.client import ApiException
from tests.kube.conftest import widget, widget_crd

from qxo.sandbox.kube import KubeSandbox


@pytest.fixture
def clients(threaded):
    config = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=threaded.kubeconfig_path, client_configuration=config)
    with kubernetes.client.ApiClient(config) as api:
        kubernetes.client.ApiextensionsV1Api(api).create_custom_resource_definition(widget_crd())
        yield kubernetes.client.CoreV1Api(api), kubernetes.client.CustomObjectsApi(api)


def test_typed_crud_on_configmaps(clients):
    core, _ = clients
    body = kubernetes.client.V1ConfigMap(metadata=kubernetes.client.V1ObjectMeta(name="c"), data={"a": "1"})
    created = core.create_namespaced_config_map("default", body)
    created.data["a"] = "2"
    replaced = core.replace_namespaced_config_map("c", "default", created)
    assert replaced.data == {"a": "2"}
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    with pytest.raises(ApiException) as stale:
        core.replace_namespaced_config_map("c", "default", created)
    assert stale.value.status == 409
    patched = core.patch_namespaced_config_map("c", "default", {"metadata": {"labels": {"x": "y"}}})
    assert patched.metadata.labels == {"x": "y"}
    names = [c.metadata.name for c in core.list_namespaced_config_map("default", label_selector="x=y").items]
    assert names == ["c"]
    core.delete_namespaced_config_map("c", "default")
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("c", "default")
    assert missing.value.status == 404


def test_custom_objects_patches_and_conflicts(clients):
    _, custom = clients
    args = ("test.qxo.dev", "v1", "default", "widgets")
    created = custom.create_namespaced_custom_object(*args, widget("w"))
    merged = custom.patch_namespaced_custom_object(*args, "w", {"spec": {"size": "medium"}})
    assert merged["spec"]["size"] == "medium" and merged["metadata"]["generation"] == 2
    status = custom.patch_namespaced_custom_object_status(*args, "w", {"status": {"observedGeneration": 2}})
    assert status["status"] == {"observedGeneration": 2}
    with pytest.raises(ApiException) as conflict:
        custom.replace_namespaced_custom_object(*args, "w", created)
    assert conflict.value.status == 409
    with pytest.raises(ApiException) as exists:
        custom.create_namespaced_custom_object(*args, widget("w"))
    assert exists.value.status == 409


def test_watch_resumes_from_a_resource_version(clients):
    core, _ = clients
    start = core.list_namespaced_config_map("default").metadata.resource_version
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    core.patch_namespaced_config_map("a", "default", {"data": {"k": "v"}})
    core.delete_namespaced_config_map("a", "default")
    watch = kubernetes.watch.Watch()
    seen = []
    for event in watch.stream(core.list_namespaced_config_map, "default", resource_version=start, timeout_seconds=5):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 3:
            watch.stop()
    assert seen == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


def test_token_sandbox_serves_tls_the_client_trusts_and_refuses_a_wrong_token(tmp_path):
    with KubeSandbox.run_in_thread(kubeconfig_path=tmp_path / "kubeconfig", token="t0ken") as handle:
        assert handle.url.startswith("https://")
        config = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(config_file=handle.kubeconfig_path, client_configuration=config)
        with kubernetes.client.ApiClient(config) as api:
            names = [n.metadata.name for n in kubernetes.client.CoreV1Api(api).list_namespace().items]
            assert "default" in names
        wrong = kubernetes.client.Configuration(host=handle.url, api_key={"authorization": "Bearer wrong"})
        wrong.ssl_ca_cert = config.ssl_ca_cert
        with kubernetes.client.ApiClient(wrong) as api, pytest.raises(ApiException) as refused:
            kubernetes.client.CoreV1Api(api).list_namespace()
        assert refused.value.status == 401 and "t0ken" not in (refused.value.body or "")


def test_secret_values_never_appear_in_refusals(clients):
    core, _ = clients
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_secret("default", {"metadata": {"name": "s"}, "data": {"token": "hunter2-not-b64!"}})
    # the decoder refuses it (a Secret's data is []byte in Go), saying where the base64 breaks, not what it holds
    assert refused.value.status == 400 and "illegal base64 data at input byte 7" in refused.value.body
    assert "hunter2" not in refused.value.body
