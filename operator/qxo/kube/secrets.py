"""Read Secrets and ConfigMaps through the official Kubernetes client, off the event loop.

Values are decoded here and handed straight to the reconciler; nothing in this module logs them.
Secrets opt in: only one labelled `qxo.dev/credentials: "true"` has its values decoded at all, so a
tenant who may create qxo objects but not read Secrets cannot make qxo send an unrelated one anywhere.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubernetes.client.exceptions import ApiException

from qxo.api.common import CREDENTIALS_LABEL
from qxo.kube.config import call_json
from qxo.observability import logs

__all__ = ["CREDENTIALS_LABEL", "KubeSecrets", "ReadForbidden", "SecretData", "SecretNotOwned", "SecretSource",
           "WatchedSecrets"]
MANAGED_BY = {"app.kubernetes.io/managed-by": "qxo"}


def opted_in(body: Mapping[str, Any] | None) -> bool:
    """Whether a Secret carries `qxo.dev/credentials: "true"`, the only Secrets qxo reads."""
    labels = ((body or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(CREDENTIALS_LABEL) == "true"


@dataclass(frozen=True)
class SecretData:
    """A Secret's decoded values and resourceVersion; the values never appear in a repr.

    `opted_in` is False for a Secret without the credentials label: its values are then left empty,
    never decoded, and the reconciler reports the Secret instead of using it.
    """

    name: str
    resource_version: str
    values: dict[str, str] = field(repr=False, compare=False, hash=False)
    opted_in: bool = True


class SecretNotOwned(Exception):
    """A Secret qxo would write exists and belongs to someone else: it is left untouched."""


class ReadForbidden(Exception):
    """RBAC does not let the operator read this Secret or ConfigMap (no tenant Role in its namespace)."""


class SecretSource(Protocol):
    """What reconcilers need of Kubernetes: read a Secret or a ConfigMap, None when absent."""

    async def secret(self, namespace: str, name: str) -> SecretData | None: ...

    async def config_map(self, namespace: str, name: str) -> dict[str, str] | None: ...

    async def write_secret(self, namespace: str, name: str, values: dict[str, str],
                           owner: Mapping[str, Any] | None = None) -> None: ...


def decode_secret(name: str, resource_version: str, data: Mapping[str, str] | None, *,
                  labelled: bool = True) -> SecretData:
    """A Secret's values from its base64 `data`, each registered for masking in the logs (none when unlabelled)."""
    if not labelled:
        return SecretData(name, resource_version, {}, opted_in=False)
    values = {key: base64.b64decode(value).decode("utf-8", "replace") for key, value in (data or {}).items()}
    logs.redact_values(values.values())  # a last line of defence: nothing here logs them
    return SecretData(name, resource_version, values)


class WatchedSecrets:
    """Serves Secrets the operator's watch has delivered, and asks `source` for the rest.

    The watch (which selects labelled Secrets) brings their data to the process; keeping the Opaque
    ones (as an informer cache does) saves a GET per account per converge. A Secret is served from here
    only at the resourceVersion the watch last showed, so a rotation is seen before it wakes anyone.
    Unlabelled Secrets are never kept.
    """

    MAX_BYTES = 64 * 1024  # larger Secrets are not ours to hold: read them when needed

    def __init__(self, source: SecretSource) -> None:
        self.source = source
        self._seen: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
        # the resourceVersion last read from `source` ("" when it had none), for Secrets the watch had not shown
        self._read: dict[tuple[str, str], str] = {}

    def saw(self, namespace: str, name: str, body: Mapping[str, Any] | None) -> None:
        """Remember a Secret from a watch event (None: it was deleted)."""
        data = (body or {}).get("data") or {}
        resource_version = ((body or {}).get("metadata") or {}).get("resourceVersion")
        keep = (body is not None and resource_version and (body.get("type") or "Opaque") == "Opaque"
                and opted_in(body) and sum(len(key) + len(value) for key, value in data.items()) <= self.MAX_BYTES)
        if keep:
            self._seen[(namespace, name)] = (str(resource_version), dict(data))
            self._read.pop((namespace, name), None)
        else:
            self._seen.pop((namespace, name), None)

    async def secret(self, namespace: str, name: str) -> SecretData | None:
        seen = self._seen.get((namespace, name))
        if seen is None:
            secret = await self.source.secret(namespace, name)
            self._read[(namespace, name)] = secret.resource_version if secret is not None else ""
            return secret
        return decode_secret(name, *seen)

    def read_at(self, namespace: str, name: str) -> str | None:
        """The resourceVersion a read from the API server returned ("" when there was no such Secret), while
        the watch has not shown the Secret; None when nobody read it. At start-up converges may outrun the
        watch's listing, whose events then bring nothing new."""
        return self._read.get((namespace, name))

    async def config_map(self, namespace: str, name: str) -> dict[str, str] | None:
        return await self.source.config_map(namespace, name)

    async def write_secret(self, namespace: str, name: str, values: dict[str, str],
                           owner: Mapping[str, Any] | None = None) -> None:
        await self.source.write_secret(namespace, name, values, owner)


class KubeSecrets:
    """Secrets and ConfigMaps through the official client's ApiClient (auth, TLS, kubeconfig), as JSON."""

    def __init__(self, api_client: Any) -> None:
        self._api = api_client

    async def secret(self, namespace: str, name: str) -> SecretData | None:
        secret = await self._read("secrets", namespace, name)
        if secret is None:
            return None
        return decode_secret(name, (secret.get("metadata") or {}).get("resourceVersion") or "", secret.get("data"),
                             labelled=opted_in(secret))

    async def config_map(self, namespace: str, name: str) -> dict[str, str] | None:
        config_map = await self._read("configmaps", namespace, name)
        return None if config_map is None else dict(config_map.get("data") or {})

    async def write_secret(self, namespace: str, name: str, values: dict[str, str],
                           owner: Mapping[str, Any] | None = None) -> None:
        """Create a Secret qxo owns, or patch it when `owner` already controls it; never someone else's.

        Created with a controller ownerReference to `owner` (Kubernetes' garbage collector deletes it
        with the owner) and the managed-by label. A Secret of that name that `owner` does not control
        is left as it is (SecretNotOwned): qxo would otherwise overwrite, and later leave behind, what
        another tool or a person keeps there.
        """
        data = {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}
        metadata: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)}
        owner_uid = ((owner or {}).get("metadata") or {}).get("uid")
        if owner is not None:
            owner_meta = owner.get("metadata") or {}
            metadata["ownerReferences"] = [{
                "apiVersion": owner.get("apiVersion"), "kind": owner.get("kind"), "name": owner_meta.get("name"),
                "uid": owner_uid, "controller": True, "blockOwnerDeletion": False}]
        body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": metadata, "data": data}
        existing = None
        for _ in range(2):  # a Secret deleted between our create and our read is simply created again
            try:
                await asyncio.to_thread(self._call, "POST", "/api/v1/namespaces/{namespace}/secrets",
                                        {"namespace": namespace}, body)
                return
            except ApiException as error:
                if error.status != 409:
                    raise
            existing = await self._read("secrets", namespace, name)
            if existing is not None:
                break
        if existing is None or not _controlled_by(existing, owner_uid):
            owner_meta = (owner or {}).get("metadata") or {}
            raise SecretNotOwned(f"Secret {name} already exists and is not owned by "
                                 f"{(owner or {}).get('kind', 'this object')} {owner_meta.get('name', '')}".rstrip())
        # Guarded by the resourceVersion just read: an owner change in between makes this a 409, not a write.
        patch = {"metadata": {"resourceVersion": (existing.get("metadata") or {}).get("resourceVersion")},
                 "data": data}
        await asyncio.to_thread(self._call, "PATCH", "/api/v1/namespaces/{namespace}/secrets/{name}",
                                {"namespace": namespace, "name": name}, patch, "application/merge-patch+json")

    async def _read(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return await asyncio.to_thread(self._call, "GET", f"/api/v1/namespaces/{{namespace}}/{plural}/{{name}}",
                                           {"namespace": namespace, "name": name})
        except ApiException as error:
            if error.status == 404:
                return None
            if error.status == 403:
                raise ReadForbidden(f"the operator may not read {plural} in namespace {namespace} (HTTP 403): "
                                    "bind its tenant Role there (manifests/tenant)") from None
            raise

    def _call(self, method: str, path: str, path_params: dict[str, str], body: Any = None,
              content_type: str = "application/json") -> dict[str, Any]:
        return call_json(self._api, method, path, path_params, body, content_type)


def _controlled_by(secret: Mapping[str, Any], owner_uid: str | None) -> bool:
    """Whether `owner_uid` is the Secret's controller (the ownerReference qxo sets when it creates one)."""
    return bool(owner_uid) and any(
        ref.get("uid") == owner_uid and ref.get("controller")
        for ref in (secret.get("metadata") or {}).get("ownerReferences") or ())
