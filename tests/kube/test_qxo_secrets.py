"""qxo's Secret and ConfigMap reader and writer against the kube sandbox, through the official client."""

from __future__ import annotations

import kubernetes
import pytest
from kubernetes.client import ApiException

from qxo.kube.secrets import KubeSecrets

NS = "default"


@pytest.fixture
def secrets(threaded):
    # As qxo.kube.config.api_client builds it outside a cluster, from this kubeconfig.
    client = kubernetes.config.new_client_from_config(config_file=str(threaded.kubeconfig_path))
    yield KubeSecrets(client), kubernetes.client.CoreV1Api(client)
    client.close()


async def test_reads_a_secret_decoded_with_its_resource_version(secrets):
    reader, core = secrets
    created = core.create_namespaced_secret(NS, {"metadata": {"name": "creds"}, "type": "Opaque",
                                                 "stringData": {"username": "svc", "password": "FAKE-pw-1"}})

    secret = await reader.secret(NS, "creds")

    assert secret.values == {"username": "svc", "password": "FAKE-pw-1"}
    assert secret.resource_version == created.metadata.resource_version
    assert "FAKE-pw-1" not in repr(secret)


async def test_absent_objects_are_none_and_refusals_raise_without_the_values(secrets):
    reader, core = secrets
    core.create_namespaced_config_map(NS, {"metadata": {"name": "ca"}, "data": {"ca.crt": "PEM"}})

    assert await reader.secret(NS, "missing") is None
    assert await reader.config_map(NS, "missing") is None
    assert await reader.config_map(NS, "ca") == {"ca.crt": "PEM"}
    with pytest.raises(ApiException) as refused:
        await reader.write_secret(NS, "Not_A_Valid_Name!", {"token": "FAKE-token"})
    assert refused.value.status == 422 and "FAKE-token" not in str(refused.value)


async def test_writes_a_secret_it_owns_then_updates_it_in_place(secrets):
    writer, core = secrets
    owner = {"apiVersion": "qxo.dev/v1alpha1", "kind": "SalesforceLink",
             "metadata": {"name": "link", "uid": "0b8e7e4a-1111-4222-8333-444455556666"}}

    await writer.write_secret(NS, "link-token", {"accessToken": "FAKE-token-1"}, owner=owner)
    await writer.write_secret(NS, "link-token", {"accessToken": "FAKE-token-2"}, owner=owner)

    stored = await writer.secret(NS, "link-token")
    assert stored.values == {"accessToken": "FAKE-token-2"}
    meta = core.read_namespaced_secret("link-token", NS).metadata
    assert meta.labels == {"app.kubernetes.io/managed-by": "qxo"}
    assert meta.owner_references[0].kind == "SalesforceLink" and meta.owner_references[0].controller
