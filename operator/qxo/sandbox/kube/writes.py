"""Mutating verbs: create, update, patch, delete, each through the same admission pipeline."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from qxo.sandbox.kube import admission_policies, builtins, patches
from qxo.sandbox.kube.admission import check_unknown
from qxo.sandbox.kube.bodies import decoding_error, directive, dry_run, patch_invalid, read_body
from qxo.sandbox.kube.bodies import to_object as _object
from qxo.sandbox.kube.errors import ApiError, options_invalid
from qxo.sandbox.kube.reads import Target, list_item, list_meta, matcher, render, respond
from qxo.sandbox.kube.resources import ResourceType, types_from_crd
from qxo.sandbox.kube.storage import clone
from qxo.sandbox.mergepatch import merge_patch

CRDS = ("apiextensions.k8s.io", "v1", "customresourcedefinitions")


def admit(sandbox, target: Target, obj: dict[str, Any], old: dict[str, Any] | None, mode: str):
    """Strategy, schema admission and field validation; returns the object to store and warnings."""
    rtype = target.rtype
    if not isinstance(obj.get("metadata", {}), dict):
        raise ApiError(400, "metadata must be an object")
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
        admitted, extra, failure = sandbox.admission.admit(rtype, crd, obj, old, status=target.sub == "status")
        obj, unknown = admitted, unknown + extra
    elif (rtype.group, rtype.version, rtype.plural) == CRDS:
        builtins.check_crd_schemas(obj)
    warnings = check_unknown(unknown, mode, lambda detail: decoding_error(rtype, detail))
    if failure is not None:
        raise failure
    warnings += admission_policies.check(sandbox, rtype, target.namespace, target.sub, obj, old)
    return obj, warnings


def _after_crd_write(sandbox, rtype: ResourceType, new: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
    if (rtype.group, rtype.version, rtype.plural) != CRDS:
        return
    sandbox.registry.sync_crd(new, old)
    sandbox.admission.forget((new or old or {}).get("metadata", {}).get("name", ""))
    if (new is None) != (old is None):  # created or deleted: its resources' history starts afresh
        for key in {t.storage_key for t in types_from_crd(new or old)}:
            sandbox.hub.restart(key, sandbox.store.rv)


async def create(sandbox, target: Target, request: web.Request) -> web.Response:
    rtype = target.rtype
    mode, is_dry_run = directive(request, "create"), dry_run(request, "create")  # options come before the body
    obj = _object(await read_body(request, rtype), rtype, mode=mode)
    namespace = target.namespace
    body_ns = (obj.get("metadata") or {}).get("namespace")
    if rtype.namespaced and body_ns and body_ns != namespace:
        raise ApiError(400, "the namespace of the provided object does not match the namespace sent on the request")
    if rtype.status_subresource and rtype.crd_name:
        obj.pop("status", None)  # status is written only through /status
    obj, warnings = admit(sandbox, target, obj, None, mode)
    if obj["metadata"].get("resourceVersion"):
        raise ApiError(500, "resourceVersion should not be set on objects to be created", reason="")
    stored = sandbox.store.create(rtype, namespace, obj, dry_run=is_dry_run)
    if not is_dry_run:
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


async def _write(sandbox, target: Target, request: web.Request, new: dict[str, Any], verb: str) -> web.Response:
    rtype, store = target.rtype, sandbox.store
    old = store.get(rtype, target.namespace, target.name)
    new = _prepare_update(rtype, target, old, new)
    meta = new.setdefault("metadata", {})
    if rtype.namespaced and meta.get("namespace", target.namespace) != target.namespace:
        raise ApiError(400, "the namespace of the provided object does not match the namespace sent on the request")
    mode, is_dry_run = directive(request, verb), dry_run(request, verb)
    try:
        new, warnings = admit(sandbox, target, new, old, mode)
    except ApiError as error:
        if verb == "patch" and error.code == 400:
            raise patch_invalid(error) from None  # the patched object does not decode
        raise
    stored = store.update(rtype, target.namespace, target.name, new, status_only=target.sub == "status",
                          dry_run=is_dry_run)
    if not is_dry_run and stored is not old:
        _after_crd_write(sandbox, rtype, store.find(rtype, target.namespace, target.name), old)
    return respond(render(rtype, stored), 200, warnings)


async def update(sandbox, target: Target, request: web.Request) -> web.Response:
    mode = directive(request, "update")  # options come before the body
    obj = _object(await read_body(request, target.rtype), target.rtype, mode=mode)
    return await _write(sandbox, target, request, obj, "update")


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
            raise ApiError(400, "merge patch must be a JSON object")
        new = merge_patch(current, body)
    elif kind == patches.JSON_PATCH:
        new = patches.json_patch(current, body)
    elif kind == patches.STRATEGIC:
        new = patches.strategic_merge_patch(current, body)
    else:
        raise ApiError(415, f"the body of the request was in an unknown format - accepted media types include: "
                            f"{patches.JSON_PATCH}, {patches.MERGE}, {patches.APPLY}, {patches.STRATEGIC}")
    try:
        obj = _object(new, rtype, shared=True)
    except ApiError as error:
        raise patch_invalid(error) from None
    return await _write(sandbox, target, request, obj, "patch")


async def _apply(sandbox, target: Target, request: web.Request, body: Any) -> web.Response:
    """Server-side apply without managed fields: create when absent, else merge the applied configuration."""
    if not request.query.get("fieldManager"):
        raise options_invalid("PatchOptions", "fieldManager", "FieldValueRequired",
                              "Required value: is required for apply patch")
    rtype = target.rtype
    applied = _object(body, rtype)
    existing = sandbox.store.find(rtype, target.namespace, target.name)
    if existing is None:
        applied.setdefault("metadata", {})["name"] = target.name
        obj, warnings = admit(sandbox, target, applied, None, directive(request, "patch"))
        is_dry_run = dry_run(request, "patch")
        stored = sandbox.store.create(rtype, target.namespace, obj, dry_run=is_dry_run)
        if not is_dry_run:
            _after_crd_write(sandbox, rtype, stored, None)
        return respond(render(rtype, stored), 201, warnings)
    applied.get("metadata", {}).pop("resourceVersion", None)
    merged = merge_patch(render(rtype, existing), applied)
    return await _write(sandbox, target, request, _object(merged, rtype, shared=True), "patch")


def _gone(rtype: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The Status a delete answers once the object is gone (the object itself while a finalizer holds it)."""
    meta = obj["metadata"]
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {k: v for k, v in (("name", meta["name"]), ("group", rtype.group), ("kind", rtype.plural),
                                          ("uid", meta["uid"])) if v}}


async def delete(sandbox, target: Target, request: web.Request) -> web.Response:
    body = await read_body(request) if request.can_read_body else None
    rtype, store = target.rtype, sandbox.store
    is_dry_run = dry_run(request, "delete", body)
    preconditions = (body or {}).get("preconditions") if isinstance(body, dict) else None
    obj, gone = store.delete(rtype, target.namespace, target.name, preconditions, dry_run=is_dry_run)
    is_crd = (rtype.group, rtype.version, rtype.plural) == CRDS
    if gone and not is_dry_run and is_crd:
        _drop_custom_resources(sandbox, obj)
        _after_crd_write(sandbox, rtype, None, obj)
    if gone and not is_crd:  # a CRD is held by the real server's cleanup finalizer, so it is answered itself
        return respond(_gone(rtype, obj))
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
    """Delete every selected object; the answer lists them as they were before, in list order."""
    body = await read_body(request) if request.can_read_body else None
    match = matcher(target, request.query)
    rtype = target.rtype
    is_dry_run = dry_run(request, "delete", body)
    selected = sorted((o for o in sandbox.store.iter(rtype, target.list_namespace) if match is None or match(o)),
                      key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
    listed = [list_item(rtype, o) for o in selected]
    for obj in selected:
        meta = obj["metadata"]
        sandbox.store.delete(rtype, meta.get("namespace", ""), meta["name"], dry_run=is_dry_run)
    return respond({"apiVersion": rtype.api_version, "kind": f"{rtype.kind}List",
                    "metadata": list_meta(rtype, str(sandbox.store.rv)), "items": listed})
