"""Decoding checks: a body whose fields have the wrong JSON types is a 400, as Go's decoder makes it.

Custom resources get the rest of their checking from admission; this covers metadata for every kind
and the fields of the built-in kinds, so no malformed body reaches code that trusts its shape.
"""

from __future__ import annotations

import base64
from typing import Any

from qxo.sandbox.kube.errors import bad_request
from qxo.sandbox.kube.resources import ResourceType

STR, INT, BOOL, OBJ, ANY = "string", "int64", "bool", "object", "any"
STR_MAP = {"*": STR}
STR_LIST = [STR]

OBJECT_META: dict[str, Any] = {
    "name": STR, "generateName": STR, "namespace": STR, "selfLink": STR, "uid": STR, "resourceVersion": STR,
    "generation": INT, "creationTimestamp": ANY, "deletionTimestamp": ANY, "deletionGracePeriodSeconds": INT,
    "labels": STR_MAP, "annotations": STR_MAP, "ownerReferences": [OBJ], "finalizers": STR_LIST,
    "managedFields": [OBJ],
}

BUILTIN: dict[tuple[str, str], dict[str, Any]] = {
    ("", "configmaps"): {"data": STR_MAP, "binaryData": STR_MAP, "immutable": BOOL},
    ("", "secrets"): {"data": STR_MAP, "stringData": STR_MAP, "type": STR, "immutable": BOOL},
    ("", "namespaces"): {"spec": {"finalizers": STR_LIST}, "status": OBJ},
    ("", "events"): {"involvedObject": OBJ, "reason": STR, "message": STR, "type": STR, "count": INT,
                     "source": OBJ, "related": OBJ, "series": OBJ, "action": STR},
    ("events.k8s.io", "events"): {"regarding": OBJ, "reason": STR, "note": STR, "type": STR, "related": OBJ,
                                  "series": OBJ, "action": STR, "deprecatedCount": INT},
    ("coordination.k8s.io", "leases"): {"spec": {"holderIdentity": STR, "leaseDurationSeconds": INT,
                                                 "leaseTransitions": INT}},
    ("apiextensions.k8s.io", "customresourcedefinitions"): {"spec": {
        "group": STR, "scope": STR,
        "names": {"plural": STR, "singular": STR, "kind": STR, "listKind": STR, "shortNames": STR_LIST,
                  "categories": STR_LIST},
        "versions": [{"name": STR, "served": BOOL, "storage": BOOL, "schema": {"openAPIV3Schema": OBJ},
                      "subresources": OBJ, "additionalPrinterColumns": [{"name": STR, "type": STR,
                                                                         "jsonPath": STR}]}],
    }, "status": OBJ},
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _go_type(shape: Any) -> str:
    if shape == STR_MAP:
        return "map[string]string"
    if isinstance(shape, dict):
        return "object"
    if isinstance(shape, list):
        return "[]" + _go_type(shape[0])
    return shape


def _check(value: Any, shape: Any, path: str, rtype: ResourceType) -> None:
    if value is None or shape == ANY:
        return
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            _fail(value, path, _go_type(shape), rtype)
        for key, item in value.items():
            sub = shape.get(key, shape.get("*"))
            if sub is not None:
                _check(item, sub, f"{path}.{key}" if path else key, rtype)
    elif isinstance(shape, list):
        if not isinstance(value, list):
            _fail(value, path, _go_type(shape), rtype)
        for item in value:
            _check(item, shape[0], path, rtype)
    elif shape == OBJ and not isinstance(value, dict):
        _fail(value, path, "object", rtype)
    elif shape == STR and not isinstance(value, str):
        _fail(value, path, "string", rtype)
    elif shape == BOOL and not isinstance(value, bool):
        _fail(value, path, "bool", rtype)
    elif shape == INT and (isinstance(value, bool) or not isinstance(value, int)):
        _fail(value, path, "int64", rtype)


def _fail(value: Any, path: str, expected: str, rtype: ResourceType) -> None:
    # Go's json.UnmarshalTypeError names the innermost struct and its field: ObjectMeta.annotations
    if path.startswith("metadata."):
        struct, field = "ObjectMeta", path.split(".")[1]
    else:
        struct, field = rtype.kind, path
    raise _decoding(rtype, f"json: cannot unmarshal {_json_type(value)} into Go struct field {struct}.{field} "
                           f"of type {expected}")


def _decoding(rtype: ResourceType, detail: str):
    return bad_request(f'{rtype.kind} in version "{rtype.version}" cannot be handled as a {rtype.kind}: {detail}')


def _base64(rtype: ResourceType, obj: dict[str, Any]) -> None:
    """A Secret's data values are []byte in Go: base64 that does not decode is a decoding error."""
    for value in (obj.get("data") or {}).values():
        if not isinstance(value, str):
            continue
        bad = next((i for i, ch in enumerate(value) if not (ch.isascii() and (ch.isalnum() or ch in "+/="))), None)
        try:
            base64.b64decode(value, validate=True)
        except (ValueError, TypeError):
            at = bad if bad is not None else len(value.rstrip("=")) // 4 * 4
            raise _decoding(rtype, f"illegal base64 data at input byte {at}") from None


def check(rtype: ResourceType, obj: dict[str, Any]) -> None:
    """Refuse a body with a mistyped field, naming it; unknown fields are fieldValidation's business."""
    shape = {"metadata": OBJECT_META, **BUILTIN.get((rtype.group, rtype.plural), {})}
    _check(obj, shape, "", rtype)
    if (rtype.group, rtype.plural) == ("", "secrets"):
        _base64(rtype, obj)
