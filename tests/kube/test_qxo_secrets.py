"""qxo's Secret and ConfigMap reader and writer against the kube sandbox, through the official client."""

from __future__ import annotations

import base64
from pathlib import Path

import kubernetes
import pytest
import yaml
from kubernetes.client import ApiException

from qxo.kube.secrets import KubeSecrets, SecretNotOwned, WatchedSecrets
from qxo.observability import logs

NS = "default"
ROOT = Path(__file__).resolve().parents[2]
LABELLED = {"qxo.dev/credentials": "true"}


@pytest.fixture
def secrets(threaded):
    # As qxo.kube.config.api_client builds it outside a cluster, from this kubeconfig.
    client = kubernetes.config.new_client_from_config(config_file=str(threaded.kubeconfig_path))
    yield KubeSecrets(client), kubernetes.client.CoreV1Api(client)
    client.close()


async def test_reads_a_secret_decoded_with_its_resource_version(secrets):
    reader, core = secrets
    created = core.create_namespaced_secret(NS, {"metadata": {"name": "creds", "labels": LABELLED}, "type": "Opaque",
                                                 "stringData": {"username": "svc", "password": "FAKE-pw-1"}})

    secret = await reader.secret(NS, "creds")

    assert secret.opted_in and secret.values == {"username": "svc", "password": "FAKE-pw-1"}
    assert secret.resource_version == created.metadata.resource_version
    assert "FAKE-pw-1" not in repr(secret)


async def test_a_secret_without_the_credentials_label_is_never_decoded(secrets):
    reader, core = secrets
    for name, labels in (("plain", None), ("false", {"qxo.dev/credentials": "false"}),
                         ("other", {"app": "db"})):
        core.create_namespaced_secret(NS, {"metadata": {"name": name, "labels": labels},
                                           "stringData": {"password": "FAKE-unlabelled-pw"}})

        secret = await reader.secret(NS, name)

        assert not secret.opted_in and secret.values == {}
    assert "FAKE-unlabelled-pw" in logs._redactor.text("FAKE-unlabelled-pw")  # never even registered as read


async def test_absent_objects_are_none_and_refusals_raise_without_the_values(secrets):
    reader, core = secrets
    core.create_namespaced_config_map(NS, {"metadata": {"name": "ca"}, "data": {"ca.crt": "PEM"}})

    assert await reader.secret(NS, "missing") is None
    assert await reader.config_map(NS, "missing") is None
    assert await reader.config_map(NS, "ca") == {"ca.crt": "PEM"}
    with pytest.raises(ApiException) as refused:
        await reader.write_secret(NS, "Not_A_Valid_Name!", {"token": "FAKE-token"})
    assert refused.value.status == 422 and "FAKE-token" not in str(refused.value)


@pytest.fixture
def links(threaded):
    """Two stored SalesforceLinks, `link` and `other`: a Secret's owner must exist, or the garbage collector
    deletes the Secret (as Kubernetes' does) before the test could look at it."""
    client = kubernetes.config.new_client_from_config(config_file=str(threaded.kubeconfig_path))
    crd = yaml.safe_load((ROOT / "crds" / "qxo.dev_salesforcelinks.yaml").read_text())
    kubernetes.client.ApiextensionsV1Api(client).create_custom_resource_definition(crd)
    example = next(d for d in yaml.safe_load_all((ROOT / "examples" / "40-salesforce.yaml").read_text())
                   if d and d["kind"] == "SalesforceLink")
    custom = kubernetes.client.CustomObjectsApi(client)
    stored = {name: custom.create_namespaced_custom_object(
        "qxo.dev", "v1alpha1", NS, "salesforcelinks", {**example, "metadata": {"name": name}})
        for name in ("link", "other")}
    yield stored
    client.close()


async def test_writes_a_secret_it_owns_then_updates_it_in_place(secrets, links):
    writer, core = secrets
    owner = links["link"]

    await writer.write_secret(NS, "link-token", {"accessToken": "FAKE-token-1"}, owner=owner)
    await writer.write_secret(NS, "link-token", {"accessToken": "FAKE-token-2"}, owner=owner)

    stored = core.read_namespaced_secret("link-token", NS)
    assert base64.b64decode(stored.data["accessToken"]).decode() == "FAKE-token-2"
    meta = stored.metadata
    assert meta.labels == {"app.kubernetes.io/managed-by": "qxo"}
    assert meta.owner_references[0].kind == "SalesforceLink" and meta.owner_references[0].controller
    assert meta.owner_references[0].uid == owner["metadata"]["uid"]


def _owned_by(link: dict, controller: bool) -> list[dict]:
    return [{"apiVersion": "qxo.dev/v1alpha1", "kind": "SalesforceLink", "name": link["metadata"]["name"],
             "uid": link["metadata"]["uid"], "controller": controller}]


@pytest.mark.parametrize("owned_by", [
    lambda links: None,  # made by hand or another tool
    lambda links: _owned_by(links["other"], controller=True),  # controlled by another link
    lambda links: _owned_by(links["link"], controller=False),  # owned, but not controlled, by this link
], ids=["unowned", "another-controller", "not-controller"])
async def test_a_secret_of_that_name_it_does_not_own_is_left_untouched(secrets, links, owned_by):
    writer, core = secrets
    owner = links["link"]
    theirs = core.create_namespaced_secret(NS, {"metadata": {"name": "link-token", "ownerReferences": owned_by(links)},
                                                "stringData": {"accessToken": "FAKE-theirs"}})

    with pytest.raises(SecretNotOwned) as refused:
        await writer.write_secret(NS, "link-token", {"accessToken": "FAKE-ours"}, owner=owner)

    assert "Secret link-token" in str(refused.value) and "SalesforceLink link" in str(refused.value)
    assert "FAKE" not in str(refused.value)
    after = core.read_namespaced_secret("link-token", NS)
    assert after.metadata.resource_version == theirs.metadata.resource_version
    assert base64.b64decode(after.data["accessToken"]).decode() == "FAKE-theirs"


# -- Secrets served from what the watch delivered --

class Source:
    """Stands for the API server: counts the reads that reach it."""

    def __init__(self) -> None:
        self.reads = 0

    async def secret(self, namespace, name):
        self.reads += 1
        return None


def watched(name: str, version: str, values: dict[str, str], type: str = "Opaque", labels: dict | None = None) -> dict:
    return {"metadata": {"name": name, "namespace": NS, "resourceVersion": version,
                         "labels": LABELLED if labels is None else labels}, "type": type,
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}}


async def test_a_watched_secret_is_served_at_the_version_the_watch_showed_without_a_read():
    source = Source()
    cache = WatchedSecrets(source)
    cache.saw(NS, "creds", watched("creds", "7", {"password": "FAKE-watched-pw-1"}))
    cache.saw(NS, "creds", watched("creds", "9", {"password": "FAKE-watched-pw-2"}))  # rotated

    secret = await cache.secret(NS, "creds")

    assert (secret.resource_version, secret.values) == ("9", {"password": "FAKE-watched-pw-2"})
    assert source.reads == 0
    assert "FAKE-watched-pw-2" not in logs._redactor.text("the value is FAKE-watched-pw-2")


async def test_secrets_not_held_are_read_from_the_server():
    source = Source()
    cache = WatchedSecrets(source)
    cache.saw(NS, "tls", watched("tls", "3", {"tls.key": "FAKE-key"}, type="kubernetes.io/tls"))
    cache.saw(NS, "big", watched("big", "4", {"blob": "x" * (WatchedSecrets.MAX_BYTES + 1)}))
    cache.saw(NS, "gone", watched("gone", "5", {"password": "FAKE-gone"}))
    cache.saw(NS, "gone", None)  # deleted
    cache.saw(NS, "unlabelled", watched("unlabelled", "6", {"password": "FAKE-unlabelled"}, labels={}))

    for name in ("tls", "big", "gone", "unlabelled", "never-seen"):
        assert await cache.secret(NS, name) is None
    assert source.reads == 5
