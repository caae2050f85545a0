"""Small builders the case modules share: the collections under test and the objects they hold."""

from __future__ import annotations

from typing import Any

from conformancekit import JSON, JSON_PATCH, MERGE, Call, Ref

WIDGETS = "/apis/test.qxo.dev/v1/namespaces/{ns}/widgets"
SECRETS = "/api/v1/namespaces/{ns}/secrets"
CONFIGMAPS = "/api/v1/namespaces/{ns}/configmaps"
EVENTS = "/api/v1/namespaces/{ns}/events"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases"
BRANDS = "/apis/qxo.dev/v1alpha1/namespaces/{ns}/qualtricsbrands"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def widget(name: str = "w", *, labels: dict[str, str] | None = None, finalizers: list[str] | None = None,
           status: dict[str, Any] | None = None, generate: bool = False, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"generateName": name} if generate else {"name": name}
    if labels:
        meta["labels"] = labels
    if finalizers:
        meta["finalizers"] = finalizers
    obj: dict[str, Any] = {"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "metadata": meta,
                           "spec": {"size": "small", **spec}}
    if status is not None:
        obj["status"] = status
    return obj


def secret(name: str = "s", *, labels: dict[str, str] | None = None, finalizers: list[str] | None = None,
           **data: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    if finalizers:
        meta["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "stringData": dict(data) or {"k": "v"}}


def create(collection: str, obj: dict[str, Any], save: str = "", **kwargs: Any) -> Call:
    return Call("POST", collection, obj, save=save, **kwargs)


def create_widget(name: str = "w", save: str = "", **kwargs: Any) -> Call:
    return create(WIDGETS, widget(name, **kwargs), save=save)


def get(path: str, **kwargs: Any) -> Call:
    return Call("GET", path, **kwargs)


def merge(path: str, patch: dict[str, Any], **kwargs: Any) -> Call:
    return Call("PATCH", path, patch, content_type=MERGE, **kwargs)


def json_patch(path: str, operations: list[dict[str, Any]], **kwargs: Any) -> Call:
    return Call("PATCH", path, operations, content_type=JSON_PATCH, **kwargs)


def put(path: str, obj: Any, **kwargs: Any) -> Call:
    return Call("PUT", path, obj, content_type=JSON, **kwargs)


def delete(path: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Call:
    return Call("DELETE", path, body, **kwargs)


def rv(saved: str) -> Ref:
    return Ref(saved, "metadata.resourceVersion")


def uid(saved: str) -> Ref:
    return Ref(saved, "metadata.uid")


def with_rv(obj: dict[str, Any], saved: str) -> dict[str, Any]:
    """`obj` carrying the resourceVersion of an earlier answer, for a PUT."""
    return {**obj, "metadata": {**obj["metadata"], "resourceVersion": rv(saved)}}


def release(path: str) -> Call:
    """Drop every finalizer, so a held object can go."""
    return merge(path, {"metadata": {"finalizers": None}})
