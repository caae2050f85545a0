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


def _decode_continue(token: str) -> tuple[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
        return str(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError):
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from None


def _encode_continue(rv: str, start: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"rv": rv, "start": start}).encode()).decode()


def matcher(target: Target, query) -> selectors.Matcher | None:
    return selectors.both(
        selectors.label_matcher(query.get("labelSelector")),
        selectors.field_matcher(query.get("fieldSelector"), target.rtype),
    )


def list_objects(store: Store, target: Target, request: web.Request) -> web.Response:
    query = request.query
    match = matcher(target, query)
    rv = str(store.rv)
    start = ""
    if query.get("continue"):
        rv, start = _decode_continue(query["continue"])
    limit = int(query.get("limit") or 0)
    if limit < 0:
        raise bad_request("limit must be non-negative")
    objects = store.iter(target.rtype, target.list_namespace)
    if match is not None:
        objects = (o for o in objects if match(o))
    keyed = sorted(((o["metadata"].get("namespace", ""), o["metadata"]["name"]), o) for o in objects)
    if start:
        keyed = [(k, o) for k, o in keyed if f"{k[0]}/{k[1]}" > start]
    meta: dict[str, Any] = {"resourceVersion": rv}
    if limit and len(keyed) > limit:
        last = keyed[limit - 1][0]
        meta["continue"] = _encode_continue(rv, f"{last[0]}/{last[1]}")
        meta["remainingItemCount"] = len(keyed) - limit
        keyed = keyed[:limit]
    items = [render(target.rtype, o) for _, o in keyed]
    if tables.wants_table(request.headers.get("Accept", "")):
        return respond(tables.table(target.rtype, items, meta, query.get("includeObject", "Metadata")))
    rtype = target.rtype
    return respond({"apiVersion": rtype.api_version, "kind": f"{rtype.kind}List", "metadata": meta, "items": items})


def ensure_no_name(target: Target) -> None:
    if target.name:
        raise ApiError(405, "the server does not allow this method on the requested resource")
