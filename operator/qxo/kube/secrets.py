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


def decode_secret(name: str, resource_version: str, data: Mapping[str, str] | None) -> SecretData:
    """A Secret's values from its base64 `data`, each registered for masking in the logs."""
    values = {key: base64.b64decode(value).decode("utf-8", "replace") for key, value in (data or {}).items()}
    logs.redact_values(values.values())  # a last line of defence: nothing here logs them
    return SecretData(name, resource_version, values)


class WatchedSecrets:
    """Serves Secrets the operator's watch has delivered, and asks `source` for the rest.

    The watch already brings every Secret's data to the process; keeping the Opaque ones (as an
    informer cache does) saves a GET per account per converge. A Secret is served from here only
    at the resourceVersion the watch last showed, so a rotation is seen before it wakes anyone.
    """

    MAX_BYTES = 64 * 1024  # larger Secrets are not ours to hold: read them when needed

    def __init__(self, source: SecretSource) -> None:
        self.source = source
        self._seen: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}

    def saw(self, namespace: str, name: str, body: Mapping[str, Any] | None) -> None:
        """Remember a Secret from a watch event (None: it was deleted)."""
        data = (body or {}).get("data") or {}
        resource_version = ((body or {}).get("metadata") or {}).get("resourceVersion")
        keep = (body is not None and resource_version and (body.get("type") or "Opaque") == "Opaque"
                and sum(len(key) + len(value) for key, value in data.items()) <= self.MAX_BYTES)
        if keep:
            self._seen[(namespace, name)] = (str(resource_version), dict(data))
        else:
            self._seen.pop((namespace, name), None)

    async def secret(self, namespace: str, name: str) -> SecretData | None:
        seen = self._seen.get((namespace, name))
        if seen is None:
            return await self.source.secret(namespace, name)
        return decode_secret(name, *seen)

    async def config_map(self, namespace: str, name: str) -> dict[str, str] | None:
        return await self.source.config_map(namespace, name)

    async def write_secret(self, namespace: str, name: str, values: dict[str, str],
                           owner: Mapping[str, Any] | None = None) -> None:
        await self.source.write_secret(namespace, name, values, owner)


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
        return decode_secret(name, (secret.get("metadata") or {}).get("resourceVersion") or "", secret.get("data"))

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
