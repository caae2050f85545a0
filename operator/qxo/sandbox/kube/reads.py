"""GET verbs: one object, and lists with selectors and limit/continue, as JSON or as a Table."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from qxo.sandbox.kube import selectors, tables
from qxo.sandbox.kube.errors import ApiError, bad_request
from qxo.sandbox.kube.resources import ResourceType
from qxo.sandbox.kube.storage import Store


@dataclass
class Target:
    """What a URL names: a resource type, a namespace ('' when cluster-wide), maybe a name and subresource."""

    rtype: ResourceType
    namespace: str
    all_namespaces: bool = False
    name: str = ""
    sub: str = ""

    @property
    def list_namespace(self) -> str | None:
        if not self.rtype.namespaced:
            return ""
        return None if self.all_namespaces else self.namespace


def render(rtype: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    if rtype.from_storage is not None:
        return rtype.from_storage(obj)
    return {"apiVersion": rtype.api_version, "kind": rtype.kind, **{k: v for k, v in obj.items() if k not in
                                                                     ("apiVersion", "kind")}}


def list_item(rtype: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """An item of a list: custom resources carry apiVersion and kind, built-in kinds' typed lists do not."""
    rendered = render(rtype, obj)
    if not rtype.crd_name:
        rendered.pop("apiVersion", None)
        rendered.pop("kind", None)
    return rendered


def list_meta(rtype: ResourceType, rv: str, token: str = "", remaining: int | None = None) -> dict[str, Any]:
    """A list's metadata; a custom resource list (unstructured on the real server) always says `continue`."""
    meta: dict[str, Any] = {"resourceVersion": rv}
    if token or rtype.crd_name:
        meta["continue"] = token
    if remaining is not None:
        meta["remainingItemCount"] = remaining
    return meta


def respond(body: Any, status: int = 200, warnings: list[str] | None = None, content_type: str = "application/json"):
    headers = {}
    if warnings:
        # JSON string escaping quotes the text and keeps control characters out of the header
        headers["Warning"] = ", ".join(f"299 - {json.dumps(w)}" for w in warnings)
    data = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    headers["Content-Type"] = content_type
    return web.Response(body=data, status=status, headers=headers)


def get(store: Store, target: Target, request: web.Request) -> web.Response:
    obj = render(target.rtype, store.get(target.rtype, target.namespace, target.name))
    if tables.wants_table(request.headers.get("Accept", "")):
        meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
        include = request.query.get("includeObject", "Metadata")
        return respond(tables.table(target.rtype, [obj], meta, include))
    return respond(obj)


def _decode_continue(token: str) -> tuple[int, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
        return int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError):
        raise bad_request("invalid continue token: continue key is not valid: incorrect encoded start "
                          "resourceVersion (version meta.k8s.io/v1)") from None


def _encode_continue(rv: int, start: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"rv": rv, "start": start}).encode()).decode()


def matcher(target: Target, query) -> selectors.Matcher | None:
    return selectors.both(
        selectors.label_matcher(query.get("labelSelector")),
        selectors.field_matcher(query.get("fieldSelector"), target.rtype),
    )


def _too_large(query, current: int) -> None:
    """A list at a resourceVersion the server has not reached: 504, as the real server answers once its
    watch cache has waited for it in vain (this store is never behind, so it answers at once)."""
    try:
        asked = int(query.get("resourceVersion") or 0)
    except ValueError:
        return
    if asked > current:
        raise ApiError(504, f"Timeout: Too large resource version: {asked}, current: {current}", details={
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1})


def _snapshot(sandbox, target: Target, rv: int) -> list[dict[str, Any]]:
    """The objects as they were at `rv`: today's, with every change since undone from the watch history
    (bounded, so a page of an old enough list is 410 Expired, as a compacted one is on the real server)."""
    changes = sandbox.hub.channel(target.rtype.storage_key).since(rv)
    if changes is None:
        raise ApiError(410, "The provided continue parameter is too old to display a consistent list result. You "
                            "can start a new list without the continue parameter.", reason="Expired")
    namespace = target.list_namespace
    earlier: dict[tuple[str, str], dict[str, Any] | None] = {}
    for change in reversed(changes):  # newest first, so the oldest change's `old` is what stood at rv
        if namespace is None or change.namespace == namespace:
            earlier[(change.namespace, change.obj["metadata"]["name"])] = change.old
    objects = [o for o in sandbox.store.iter(target.rtype, namespace)
               if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) not in earlier]
    return objects + [o for o in earlier.values() if o is not None]


def list_objects(sandbox, target: Target, request: web.Request) -> web.Response:
    query, store, rtype = request.query, sandbox.store, target.rtype
    _too_large(query, store.rv)
    match = matcher(target, query)
    rv, start = store.rv, ""
    if query.get("continue"):
        rv, start = _decode_continue(query["continue"])
        objects = _snapshot(sandbox, target, rv)
    else:
        objects = list(store.iter(rtype, target.list_namespace))
    limit = max(int(query.get("limit") or 0), 0)  # a negative limit is no limit
    if match is not None:
        objects = [o for o in objects if match(o)]
    keyed = sorted(((o["metadata"].get("namespace", ""), o["metadata"]["name"]), o) for o in objects)
    if start:
        keyed = [(k, o) for k, o in keyed if f"{k[0]}/{k[1]}" > start]
    token, remaining = "", None
    if limit and len(keyed) > limit:
        last = keyed[limit - 1][0]
        token = _encode_continue(rv, f"{last[0]}/{last[1]}")
        # the real server counts what is left only when it need not filter (no selector)
        remaining = len(keyed) - limit if match is None else None
        keyed = keyed[:limit]
    meta = list_meta(rtype, str(rv), token, remaining)
    if tables.wants_table(request.headers.get("Accept", "")):
        items = [render(rtype, o) for _, o in keyed]
        return respond(tables.table(rtype, items, meta, query.get("includeObject", "Metadata")))
    items = [list_item(rtype, o) for _, o in keyed]
    return respond({"apiVersion": rtype.api_version, "kind": f"{rtype.kind}List", "metadata": meta, "items": items})


def ensure_no_name(target: Target) -> None:
    if target.name:
        raise ApiError(405, "the server does not allow this method on the requested resource")
