"""Read Secrets and ConfigMaps through the official Kubernetes client, off the event loop.

Values are decoded here and handed straight to the reconciler; nothing in this module logs them.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

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
    """Secrets and ConfigMaps through the official client's ApiClient (auth, TLS, kubeconfig).

    The generated `CoreV1Api` is not used: loading it and its models costs ~1.4 s of CPU on the
    operator's event loop at start-up, and decoding each Secret into a `V1Secret` costs again per
    read, for three routes whose JSON is read here directly.
    """

    def __init__(self, api_client: Any) -> None:
        self._api = api_client

    async def secret(self, namespace: str, name: str) -> SecretData | None:
        secret = await self._read("secrets", namespace, name)
        if secret is None:
            return None
        values = {key: base64.b64decode(value).decode("utf-8", "replace")
                  for key, value in (secret.get("data") or {}).items()}
        values.update(secret.get("stringData") or {})
        logs.redact_values(values.values())  # a last line of defence: nothing here logs them
        return SecretData(name, (secret.get("metadata") or {}).get("resourceVersion") or "", values)

    async def config_map(self, namespace: str, name: str) -> dict[str, str] | None:
        config_map = await self._read("configmaps", namespace, name)
        return None if config_map is None else dict(config_map.get("data") or {})

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
            await asyncio.to_thread(self._call, "POST", "/api/v1/namespaces/{namespace}/secrets",
                                    {"namespace": namespace}, body)
        except ApiException as error:
            if error.status != 409:
                raise
            await asyncio.to_thread(self._call, "PATCH", "/api/v1/namespaces/{namespace}/secrets/{name}",
                                    {"namespace": namespace, "name": name}, {"data": data},
                                    "application/merge-patch+json")

    async def _read(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return await asyncio.to_thread(self._call, "GET", f"/api/v1/namespaces/{{namespace}}/{plural}/{{name}}",
                                           {"namespace": namespace, "name": name})
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    def _call(self, method: str, path: str, path_params: dict[str, str], body: Any = None,
              content_type: str = "application/json") -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        request = self._api.param_serialize(method, path, path_params=path_params, header_params=headers,
                                            body=body, auth_settings=["BearerToken"])
        response = self._api.call_api(*request)
        response.read()
        if not 200 <= response.status <= 299:
            # The body is the API server's Status: it names the object, never a Secret's values.
            raise ApiException(http_resp=response)
        return json.loads(response.data)
