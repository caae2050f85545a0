"""OpenAPI v3 documents, enough for `kubectl explain` and for kubectl to see that fieldValidation is supported.

Custom resources get their schema from the stored CRD; built-in kinds get a shallow schema.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from qxo.sandbox.kube.resources import Registry, ResourceType

OBJECT_META_REF = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

OBJECT_META = {
    "description": "ObjectMeta is metadata that all persisted resources must have.",
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Name must be unique within a namespace."},
        "generateName": {"type": "string", "description": "Prefix for a server-generated name."},
        "namespace": {"type": "string", "description": "The namespace the object lives in."},
        "uid": {"type": "string", "description": "Unique in time and space, set by the server."},
        "resourceVersion": {"type": "string", "description": "Opaque version for optimistic concurrency."},
        "generation": {"type": "integer", "format": "int64", "description": "Sequence number of the desired state."},
        "creationTimestamp": {"type": "string", "format": "date-time", "description": "When the object was created."},
        "deletionTimestamp": {"type": "string", "format": "date-time", "description": "When deletion was asked."},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Labels."},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Annotations."},
        "finalizers": {"type": "array", "items": {"type": "string"}, "description": "Must be empty before deletion."},
    },
}

_BUILTIN_FIELDS = {
    "ConfigMap": {"data": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Data."}},
    "Secret": {
        "data": {"type": "object", "additionalProperties": {"type": "string", "format": "byte"},
                 "description": "Secret data, base64 encoded."},
        "stringData": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Write-only."},
        "type": {"type": "string", "description": "Used to facilitate programmatic handling of secret data."},
    },
}

PARAMETERS = [
    {"name": name, "in": "query", "description": description, "schema": {"type": "string", "uniqueItems": True}}
    for name, description in [
        ("dryRun", "When present, modifications are not persisted."),
        ("fieldManager", "Name of the actor making the change."),
        ("fieldValidation", "How unknown and duplicate fields are handled: Ignore, Warn or Strict."),
    ]
]


def component_name(rtype: ResourceType) -> str:
    group = ".".join(reversed(rtype.group.split("."))) if rtype.group else "io.k8s.api.core"
    return f"{group}.{rtype.version}.{rtype.kind}"


def _schema(rtype: ResourceType) -> dict[str, Any]:
    if rtype.schema is not None:
        schema = copy.deepcopy(rtype.schema)
    else:
        schema = {"type": "object", "properties": copy.deepcopy(_BUILTIN_FIELDS.get(rtype.kind, {}))}
    schema.setdefault("description", f"{rtype.kind} is served by the qxo kube sandbox.")
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "description": "APIVersion defines the versioned schema of this object."}
    props["kind"] = {"type": "string", "description": "Kind is a string value representing the REST resource."}
    props["metadata"] = {
        "allOf": [{"$ref": f"#/components/schemas/{OBJECT_META_REF}"}],
        "description": "Standard object's metadata.",
    }
    schema["x-kubernetes-group-version-kind"] = [
        {"group": rtype.group, "kind": rtype.kind, "version": rtype.version}
    ]
    return schema


def _paths(rtype: ResourceType) -> dict[str, Any]:
    prefix = f"/apis/{rtype.group}/{rtype.version}" if rtype.group else f"/api/{rtype.version}"
    scope = "/namespaces/{namespace}" if rtype.namespaced else ""
    ref = {"$ref": f"#/components/schemas/{component_name(rtype)}"}
    gvk = {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}
    ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}

    def op(action: str, params: list[dict[str, Any]]) -> dict[str, Any]:
        return {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": action,
                "parameters": params, "responses": ok}

    item = {
        "get": op("get", []),
        "put": op("put", PARAMETERS),
        "patch": op("patch", PARAMETERS),
        "delete": op("delete", PARAMETERS[:1]),
    }
    paths = {
        f"{prefix}{scope}/{rtype.plural}": {"get": op("list", []), "post": op("post", PARAMETERS)},
        f"{prefix}{scope}/{rtype.plural}/{{name}}": item,
    }
    if rtype.status_subresource:
        paths[f"{prefix}{scope}/{rtype.plural}/{{name}}/status"] = {
            "get": op("get", []), "put": op("put", PARAMETERS), "patch": op("patch", PARAMETERS)
        }
    return paths


class OpenAPI:
    """Builds documents lazily and keeps them until the set of served types changes."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._built_at = -1
        self._docs: dict[str, bytes] = {}
        self._root: bytes = b""

    def _rebuild(self) -> None:
        if self._built_at == self.registry.generation:
            return
        docs: dict[str, bytes] = {}
        for group, versions in self.registry.groups().items():
            for version, types in versions.items():
                key = f"apis/{group}/{version}" if group else f"api/{version}"
                doc = {
                    "openapi": "3.0.0",
                    "info": {"title": "Kubernetes", "version": "v1.32.0"},
                    "paths": {p: v for t in types for p, v in _paths(t).items()},
                    "components": {"schemas": {
                        OBJECT_META_REF: OBJECT_META, **{component_name(t): _schema(t) for t in types}}},
                }
                docs[key] = json.dumps(doc).encode()
        self._docs = docs
        paths = {
            key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={hashlib.sha256(body).hexdigest()[:32].upper()}"}
            for key, body in docs.items()
        }
        self._root = json.dumps({"paths": paths}).encode()
        self._built_at = self.registry.generation

    def root(self) -> bytes:
        self._rebuild()
        return self._root

    def document(self, key: str) -> bytes | None:
        self._rebuild()
        return self._docs.get(key)
