"""The demo's view of the cluster through the official kubernetes client: apply, read, patch, delete.

The demo needs nothing beyond the Python packages qxo already depends on, so manifests are
applied with the client (create, or merge-patch when the object exists) rather than with kubectl.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config

from qxo import API_GROUP, API_VERSION
from qxo.demo.children import DemoError
from qxo.demo.sandboxes import NAMESPACE

PLURALS = {"QualtricsBrand": "qualtricsbrands", "ExtensionInstall": "extensioninstalls",
           "ExtensionAccount": "extensionaccounts", "AccountGrant": "accountgrants",
           "SalesforceLink": "salesforcelinks"}
KINDS = tuple(PLURALS)


class Cluster:
    def __init__(self, kubeconfig: Path) -> None:
        self.api = k8s_config.new_client_from_config(config_file=str(kubeconfig))
        self.core = k8s.CoreV1Api(self.api)
        self.custom = k8s.CustomObjectsApi(self.api)
        self.extensions = k8s.ApiextensionsV1Api(self.api)

    def close(self) -> None:
        self.api.close()

    # -- apply ---------------------------------------------------------------------------------------

    def apply(self, document: dict[str, Any], retry_unknown_kind_for: float = 10.0) -> None:
        """Create the object, or merge-patch it when it exists; a kind just registered may 404 briefly."""
        deadline = time.monotonic() + retry_unknown_kind_for
        while True:
            try:
                self._create_or_patch(document)
                return
            except k8s.exceptions.ApiException as error:
                if error.status == 404 and document["kind"] in PLURALS and time.monotonic() < deadline:
                    time.sleep(0.2)
                    continue
                raise DemoError(f"applying {document['kind']} {document['metadata']['name']} failed: "
                                f"{_api_message(error)}") from None

    def _create_or_patch(self, document: dict[str, Any]) -> None:
        kind, name = document["kind"], document["metadata"]["name"]
        namespace = document["metadata"].get("namespace", NAMESPACE)
        create, patch = self._verbs(kind, namespace)
        try:
            create(document)
        except k8s.exceptions.ApiException as error:
            if error.status != 409:
                raise
            patch(name, document)

    def _verbs(self, kind: str, namespace: str) -> tuple[Any, Any]:
        if kind == "CustomResourceDefinition":
            return (self.extensions.create_custom_resource_definition,
                    self.extensions.patch_custom_resource_definition)
        if kind == "Namespace":
            return self.core.create_namespace, self.core.patch_namespace
        if kind == "Secret":
            return (lambda d: self.core.create_namespaced_secret(namespace, d),
                    lambda n, d: self.core.patch_namespaced_secret(n, namespace, d))
        if kind == "ConfigMap":
            return (lambda d: self.core.create_namespaced_config_map(namespace, d),
                    lambda n, d: self.core.patch_namespaced_config_map(n, namespace, d))
        if kind in PLURALS:
            plural = PLURALS[kind]
            return (lambda d: self.custom.create_namespaced_custom_object(API_GROUP, API_VERSION, namespace, plural, d),
                    lambda n, d: self.custom.patch_namespaced_custom_object(API_GROUP, API_VERSION, namespace,
                                                                            plural, n, d))
        raise DemoError(f"the demo does not know how to apply a {kind}")

    # -- read and change -----------------------------------------------------------------------------

    def list(self, kind: str) -> list[dict[str, Any]]:
        return self.custom.list_namespaced_custom_object(API_GROUP, API_VERSION, NAMESPACE, PLURALS[kind])["items"]

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        try:
            return self.custom.get_namespaced_custom_object(API_GROUP, API_VERSION, NAMESPACE, PLURALS[kind], name)
        except k8s.exceptions.ApiException as error:
            if error.status == 404:
                return None
            raise

    def annotate(self, kind: str, name: str, annotations: dict[str, str]) -> None:
        self.custom.patch_namespaced_custom_object(API_GROUP, API_VERSION, NAMESPACE, PLURALS[kind], name,
                                                   {"metadata": {"annotations": annotations}})

    def delete(self, kind: str, name: str) -> None:
        self.custom.delete_namespaced_custom_object(API_GROUP, API_VERSION, NAMESPACE, PLURALS[kind], name)

    def secret_version(self, name: str) -> str:
        return self.core.read_namespaced_secret(name, NAMESPACE).metadata.resource_version

    def update_secret(self, name: str, string_data: dict[str, str]) -> str:
        """Change some keys of a Secret; returns its new resourceVersion."""
        secret = self.core.patch_namespaced_secret(name, NAMESPACE, {"stringData": string_data})
        return secret.metadata.resource_version

    def events(self) -> list[dict[str, Any]]:
        """The namespace's Events as plain dicts: involved object, reason, message, type."""
        events = []
        for event in self.core.list_namespaced_event(NAMESPACE).items:
            involved = event.involved_object
            events.append({"kind": involved.kind, "name": involved.name, "reason": event.reason,
                           "message": event.message or "", "type": event.type, "uid": event.metadata.uid})
        return events


def _api_message(error: k8s.exceptions.ApiException) -> str:
    try:
        return json.loads(error.body).get("message") or str(error.reason)
    except (TypeError, ValueError):
        return f"{error.status} {error.reason}"
