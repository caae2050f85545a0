"""Read Secrets and ConfigMaps through the official Kubernetes client, off the event loop.

Values are decoded here and handed straight to the reconciler; nothing in this module logs them.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from qxo.observability import logs


@dataclass(frozen=True)
class SecretData:
    """A Secret's decoded values and resourceVersion; the values never appear in a repr."""

    name: str
    resource_version: str
    values: dict[str, str] = field(repr=False, compare=False, hash=False)


class SecretSource(Protocol):
    """What reconcilers need of Kubernetes: read a Secret or a ConfigMap, None when absent."""

    async def secret(self, namespace: str, name: str) -> SecretData | None: ...

    async def config_map(self, namespace: str, name: str) -> dict[str, str] | None: ...

    async def write_secret(self, namespace: str, name: str, values: dict[str, str],
                           owner: Mapping[str, Any] | None = None) -> None: ...


class KubeSecrets:
    def __init__(self, api_client: Any) -> None:
        self._core = k8s.CoreV1Api(api_client)

    async def secret(self, namespace: str, name: str) -> SecretData | None:
        try:
            secret = await asyncio.to_thread(self._core.read_namespaced_secret, name, namespace)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        values = {key: base64.b64decode(value).decode("utf-8", "replace")
                  for key, value in (secret.data or {}).items()}
        values.update(secret.string_data or {})
        logs.redact_values(values.values())  # a last line of defence: nothing here logs them
        return SecretData(name, secret.metadata.resource_version or "", values)

    async def config_map(self, namespace: str, name: str) -> dict[str, str] | None:
        try:
            config_map = await asyncio.to_thread(self._core.read_namespaced_config_map, name, namespace)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return dict(config_map.data or {})

    async def write_secret(self, namespace: str, name: str, values: dict[str, str],
                           owner: Mapping[str, Any] | None = None) -> None:
        """Create or update a Secret qxo owns (garbage-collected with `owner`, the object it serves)."""
        data = {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}
        metadata: dict[str, Any] = {"name": name, "namespace": namespace,
                                    "labels": {"app.kubernetes.io/managed-by": "qxo"}}
        if owner is not None:
            owner_meta = owner.get("metadata") or {}
            metadata["ownerReferences"] = [{
                "apiVersion": owner.get("apiVersion"), "kind": owner.get("kind"), "name": owner_meta.get("name"),
                "uid": owner_meta.get("uid"), "controller": True, "blockOwnerDeletion": False}]
        body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": metadata, "data": data}
        try:
            await asyncio.to_thread(self._core.create_namespaced_secret, namespace, body)
        except ApiException as error:
            if error.status != 409:
                raise
            await asyncio.to_thread(self._core.patch_namespaced_secret, name, namespace, {"data": data})
