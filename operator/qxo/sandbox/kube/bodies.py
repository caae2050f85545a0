"""What a write request carries, decoded as the API server decodes it: the body, the options in its query
(fieldValidation, dryRun) and the object, with the server's refusals for each."""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import web

from qxo.sandbox.kube import patches, protobuf, shapes
from qxo.sandbox.kube.errors import ApiError, bad_request, options_invalid
from qxo.sandbox.kube.metarules import go_strings
from qxo.sandbox.kube.resources import ResourceType
from qxo.sandbox.kube.storage import clone

OPTIONS = {"create": "CreateOptions", "update": "UpdateOptions", "patch": "PatchOptions", "delete": "DeleteOptions"}


async def read_body(request: web.Request, rtype: ResourceType | None = None) -> Any:
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
        prefix = f"the object provided is unrecognized (must be of type {rtype.kind}): " if rtype else ""
        raise bad_request(f"{prefix}couldn't get version/kind; json parse error: {error}") from None


def directive(request: web.Request, verb: str) -> str:
    """fieldValidation: Strict refuses unknown fields, Warn (the default) warns, Ignore drops them silently."""
    value = request.query.get("fieldValidation", "") or "Warn"
    if value not in ("Strict", "Warn", "Ignore"):
        raise options_invalid(OPTIONS[verb], "fieldValidation", "FieldValueNotSupported",
                              f'Unsupported value: "{value}": supported values: "", "Ignore", "Strict", "Warn"')
    return value


def dry_run(request: web.Request, verb: str, body: Any = None) -> bool:
    values = request.query.getall("dryRun", [])
    if isinstance(body, dict) and body.get("kind") == "DeleteOptions":
        values += body.get("dryRun") or []
    if any(value != "All" for value in values):
        raise options_invalid(OPTIONS[verb], "dryRun", "FieldValueNotSupported",
                              f'Unsupported value: {go_strings(values)}: supported values: "All"')
    return bool(values)


def decoding_error(rtype: ResourceType, detail: str) -> ApiError:
    """A body the decoder refuses, as it words it for a create or an update."""
    return bad_request(f'{rtype.kind} in version "{rtype.version}" cannot be handled as a {rtype.kind}: {detail}')


def to_object(body: Any, rtype: ResourceType, shared: bool = False, mode: str = "Warn") -> dict[str, Any]:
    """The body as an object to store; `shared` bodies (patch results) share parts with the stored one.

    A custom resource of another kind goes on to admission, which names `kind` as the field at fault.
    `mode` is the request's fieldValidation, which words the refusal of a custom resource's other version.
    """
    if not isinstance(body, dict):
        raise bad_request(f"the object provided is unrecognized (must be of type {rtype.kind}): couldn't get "
                          "version/kind; json parse error: the body is not a JSON object")
    sent_version, sent_kind = body.get("apiVersion"), body.get("kind")
    if rtype.crd_name and not shared and (not sent_kind or not sent_version):
        # a custom resource is decoded by what it says it is; a built-in kind by the URL
        missing = "Kind" if not sent_kind else "APIVersion"
        raise bad_request(f"Object '{missing}' is missing in the {rtype.kind} sent")
    if sent_version not in (None, rtype.api_version):
        if rtype.crd_name:
            raise _other_version(rtype, body, mode)
        raise decoding_error(rtype, f'no kind "{rtype.kind}" is registered for version "{sent_version}"')
    if sent_kind not in (None, rtype.kind) and not rtype.crd_name:
        raise bad_request(f"{sent_kind} in version \"{rtype.version}\" cannot be handled as a {rtype.kind}: "
                          f"converting ({rtype.version}.{sent_kind}) to ({rtype.kind}): unknown conversion")
    obj = clone(body) if shared else body
    shapes.check(rtype, obj)
    # a JSON null decodes to the zero value in Go: drop it so later code sees absent, not None
    obj = {k: v for k, v in obj.items() if v is not None}
    # and ObjectMeta's lists and maps are omitempty: an empty one is as good as absent
    obj["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items() if v is not None and v not in ([], {})}
    if rtype.to_storage is not None:
        obj = rtype.to_storage(obj)
    obj["apiVersion"] = rtype.api_version if rtype.to_storage is None else obj["apiVersion"]
    obj["kind"] = sent_kind if rtype.crd_name and sent_kind else rtype.kind
    return obj


def _other_version(rtype: ResourceType, body: dict[str, Any], mode: str) -> ApiError:
    """A custom resource sent as a version of its group the CRD does not have: the decoder has no schema for
    it, so every field but the type and metadata is unknown to it before the version mismatch refuses it."""
    sent_version = str(body.get("apiVersion"))
    unknown = []
    if sent_version.partition("/")[0] == rtype.group:
        unknown = [f'unknown field "{key}"' for key in sorted(body) if key not in ("apiVersion", "kind", "metadata")]
    if unknown and mode == "Strict":
        kind, version = body.get("kind") or rtype.kind, sent_version.partition("/")[2]
        return bad_request(f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding error: '
                           + ", ".join(unknown))
    return ApiError(400, f"the API version in the data ({sent_version}) does not match the expected API version "
                         f"({rtype.api_version})", warnings=unknown if mode == "Warn" else [])


def patch_invalid(error: ApiError) -> ApiError:
    """What a patch whose result cannot be decoded is refused with: 422 naming `patch`. The real server
    quotes the whole patched object in the message; the sandbox does not, so a Secret's data is never echoed."""
    detail = error.message.split(": ", 1)[1] if " cannot be handled as a " in error.message else error.message
    text = f'Invalid value: "(the patched object)": {detail}'
    return ApiError(422, f' "" is invalid: patch: {text}',
                    details={"causes": [{"reason": "FieldValueInvalid", "message": text, "field": "patch"}]})
