"""Mutating verbs: create, update, patch, delete, each through the same admission pipeline."""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import web

from qxo.sandbox.kube import admission_policies, builtins, patches, protobuf, shapes
from qxo.sandbox.kube.admission import check_unknown
from qxo.sandbox.kube.errors import ApiError, bad_request
from qxo.sandbox.kube.reads import Target, matcher, render, respond
from qxo.sandbox.kube.resources import ResourceType
from qxo.sandbox.kube.storage import clone
from qxo.sandbox.mergepatch import merge_patch

CRDS = ("apiextensions.k8s.io", "v1", "customresourcedefinitions")


async def read_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return None
    if request.content_type == "application/vnd.kubernetes.protobuf":
        return protobuf.decode(raw)
    try:
        if request.content_type == patches.APPLY:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as error:
        raise bad_request(f"couldn't get version/kind; json parse error: {error}") from None


def _directive(request: web.Request) -> str:
    directive = request.query.get("fieldValidation", "Warn")
    if directive not in ("Strict", "Warn", "Ignore"):
        raise bad_request(f'fieldValidation: Unsupported value: "{directive}": supported values: '
                          '"Ignore", "Strict", "Warn"')
    return directive


def _dry_run(request: web.Request, body: Any = None) -> bool:
    values = request.query.getall("dryRun", [])
    if isinstance(body, dict) and body.get("kind") == "DeleteOptions":
        values += body.get("dryRun") or []
    for value in values:
        if value != "All":
            raise bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return bool(values)


def _object(body: Any, rtype: ResourceType, shared: bool = False) -> dict[str, Any]:
    """The body as an object to store; `shared` bodies (patch results) share parts with the stored one."""
    if not isinstance(body, dict):
        raise bad_request("the body of the request must be a JSON object")
    if body.get("kind") not in (None, rtype.kind):
        raise bad_request(f"the kind of the object ({body.get('kind')}) does not match the URL ({rtype.kind})")
    obj = clone(body) if shared else body
    shapes.check(rtype, obj)
    # a JSON null decodes to the zero value in Go: drop it so later code sees absent, not None
    obj = {k: v for k, v in obj.items() if v is not None}
    obj["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items() if v is not None}
    if rtype.to_storage is not None:
        obj = rtype.to_storage(obj)
    obj["apiVersion"] = rtype.api_version if rtype.to_storage is None else obj["apiVersion"]
    obj["kind"] = rtype.kind
    return obj


def admit(sandbox, target: Target, obj: dict[str, Any], old: dict[str, Any] | None, directive: str):
    """Strategy, schema admission and field validation; returns the object to store and warnings."""
    rtype = target.rtype
    if not isinstance(obj.get("metadata", {}), dict):
        raise bad_request("metadata must be an object")
    unknown = builtins.unknown_fields(rtype, obj)
    for path in unknown:
        if path.startswith("metadata."):
            obj["metadata"].pop(path.split(".", 1)[1], None)
        else:
            obj.pop(path, None)
    builtins.prepare(rtype, obj, old)
    failure = None
    if rtype.crd_name:
        crd = sandbox.store.get(sandbox.registry.get(*CRDS), "", rtype.crd_name)
        admitted, extra, failure = sandbox.admission.admit(rtype, crd, obj, old)
        obj, unknown = admitted, unknown + extra
    warnings = check_unknown(unknown, directive)
    if failure is not None:
        raise failure
    warnings += admission_policies.check(sandbox, rtype, target.namespace, target.sub, obj, old)
    return obj, warnings


def _after_crd_write(sandbox, rtype: ResourceType, new: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
    if (rtype.group, rtype.version, rtype.plural) != CRDS:
        return
    sandbox.registry.sync_crd(new, old)
    sandbox.admission.forget((new or old or {}).get("metadata", {}).get("name", ""))


async def create(sandbox, target: Target, request: web.Request) -> web.Response:
    body = await read_body(request)
    rtype = target.rtype
    obj = _object(body, rtype)
    namespace = target.namespace
    body_ns = (obj.get("metadata") or {}).get("namespace")
    if rtype.namespaced and body_ns and body_ns != namespace:
        raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
    if rtype.status_subresource and rtype.crd_name:
        obj.pop("status", None)  # status is written only through /status
    obj, warnings = admit(sandbox, target, obj, None, _directive(request))
    stored = sandbox.store.create(rtype, namespace, obj, dry_run=_dry_run(request))
    if not _dry_run(request):
        _after_crd_write(sandbox, rtype, stored, None)
    return respond(render(rtype, stored), 201, warnings)


def _prepare_update(rtype: ResourceType, target: Target, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What a write may change: /status writes change only status; main writes keep status when it is a subresource."""
    if target.sub == "status":
        merged = clone(old)
        if "status" in new:
            merged["status"] = new["status"]
        else:
            merged.pop("status", None)
        merged["metadata"]["resourceVersion"] = (new.get("metadata") or {}).get("resourceVersion")
        return merged
    if rtype.status_subresource and rtype.group != "":
        if "status" in old:
            new["status"] = clone(old["status"])
        else:
            new.pop("status", None)
    return new


async def _write(sandbox, target: Target, request: web.Request, new: dict[str, Any]) -> web.Response:
    rtype, store = target.rtype, sandbox.store
    old = store.get(rtype, target.namespace, target.name)
    new = _prepare_update(rtype, target, old, new)
    meta = new.setdefault("metadata", {})
    if rtype.namespaced and meta.get("namespace", target.namespace) != target.namespace:
        raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
    new, warnings = admit(sandbox, target, new, old, _directive(request))
    dry_run = _dry_run(request)
    stored = store.update(rtype, target.namespace, target.name, new, status_only=target.sub == "status",
                          dry_run=dry_run)
    if not dry_run and stored is not old:
        _after_crd_write(sandbox, rtype, store.find(rtype, target.namespace, target.name), old)
    return respond(render(rtype, stored), 200, warnings)


async def update(sandbox, target: Target, request: web.Request) -> web.Response:
    return await _write(sandbox, target, request, _object(await read_body(request), target.rtype))


async def patch(sandbox, target: Target, request: web.Request) -> web.Response:
    rtype = target.rtype
    kind = request.content_type
    body = await read_body(request)
    if kind == patches.STRATEGIC and rtype.crd_name:
        raise ApiError(415, "the body of the request was in an unknown format - accepted media types include: "
                            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
    if kind == patches.APPLY:
        return await _apply(sandbox, target, request, body)
    current = render(rtype, sandbox.store.get(rtype, target.namespace, target.name))
    if kind == patches.MERGE:
        if not isinstance(body, dict):
            raise bad_request("merge patch must be a JSON object")
        new = merge_patch(current, body)
    elif kind == patches.JSON_PATCH:
        new = patches.json_patch(current, body)
    elif kind == patches.STRATEGIC:
        new = patches.strategic_merge_patch(current, body)
    else:
        raise ApiError(415, f"the body of the request was in an unknown format - accepted media types include: "
                            f"{patches.JSON_PATCH}, {patches.MERGE}, {patches.APPLY}, {patches.STRATEGIC}")
    return await _write(sandbox, target, request, _object(new, rtype, shared=True))


async def _apply(sandbox, target: Target, request: web.Request, body: Any) -> web.Response:
    """Server-side apply without managed fields: create when absent, else merge the applied configuration."""
    if not request.query.get("fieldManager"):
        raise ApiError(422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                            "is required for apply patch")
    rtype = target.rtype
    applied = _object(body, rtype)
    existing = sandbox.store.find(rtype, target.namespace, target.name)
    if existing is None:
        applied.setdefault("metadata", {})["name"] = target.name
        obj, warnings = admit(sandbox, target, applied, None, _directive(request))
        stored = sandbox.store.create(rtype, target.namespace, obj, dry_run=_dry_run(request))
        if not _dry_run(request):
            _after_crd_write(sandbox, rtype, stored, None)
        return respond(render(rtype, stored), 201, warnings)
    applied.get("metadata", {}).pop("resourceVersion", None)
    merged = merge_patch(render(rtype, existing), applied)
    return await _write(sandbox, target, request, _object(merged, rtype, shared=True))


async def delete(sandbox, target: Target, request: web.Request) -> web.Response:
    body = await read_body(request) if request.can_read_body else None
    rtype, store = target.rtype, sandbox.store
    dry_run = _dry_run(request, body)
    preconditions = (body or {}).get("preconditions") if isinstance(body, dict) else None
    obj, gone = store.delete(rtype, target.namespace, target.name, preconditions, dry_run=dry_run)
    if gone and not dry_run and (rtype.group, rtype.version, rtype.plural) == CRDS:
        _drop_custom_resources(sandbox, obj)
        _after_crd_write(sandbox, rtype, None, obj)
    if gone and not rtype.crd_name and rtype.plural != "customresourcedefinitions":
        return respond({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": target.name, "group": rtype.group, "kind": rtype.plural,
                        "uid": obj["metadata"]["uid"]},
        })
    return respond(render(rtype, obj))


def _drop_custom_resources(sandbox, crd: dict[str, Any]) -> None:
    """Deleting a CRD deletes every object of it, as the CRD cleanup finalizer does."""
    # all versions of a CRD share one storage, so any one of its types reaches every object
    rtype = next((t for t in sandbox.registry.types.values() if t.crd_name == crd["metadata"]["name"]), None)
    if rtype is None:
        return
    for obj in list(sandbox.store.iter(rtype, None)):
        obj["metadata"].pop("finalizers", None)  # the object is going regardless; nothing may hold it
        sandbox.store.delete(rtype, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


async def delete_collection(sandbox, target: Target, request: web.Request) -> web.Response:
    body = await read_body(request) if request.can_read_body else None
    match = matcher(target, request.query)
    rtype = target.rtype
    dry_run = _dry_run(request, body)
    deleted = []
    for obj in list(sandbox.store.iter(rtype, target.list_namespace)):
        if match is None or match(obj):
            meta = obj["metadata"]
            gone_obj, _ = sandbox.store.delete(rtype, meta.get("namespace", ""), meta["name"], dry_run=dry_run)
            deleted.append(render(rtype, gone_obj))
    return respond({"apiVersion": rtype.api_version, "kind": f"{rtype.kind}List",
                    "metadata": {"resourceVersion": str(sandbox.store.rv)}, "items": deleted})
