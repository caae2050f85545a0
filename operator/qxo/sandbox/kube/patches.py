"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and the part of strategic merge
patch that kubectl sends for the built-in kinds served here."""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

from qxo.sandbox.kube.errors import ApiError

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"


def _unprocessable(message: str) -> ApiError:
    return ApiError(422, f"the server rejected our request due to an error in our request: {message}",
                    reason="Invalid", details={})


def _failure(op: dict[str, Any], error: Exception) -> ApiError:
    """The API server's words for a failed operation, never the library's: jsonpatch's messages quote
    the values and documents involved, and a PATCH on a Secret must not echo its data back."""
    kind, path, source = op.get("op"), op.get("path"), op.get("from")
    if isinstance(error, jsonpatch.InvalidJsonPatch):
        if kind not in ("add", "remove", "replace", "move", "copy", "test"):
            return _unprocessable(f"unknown operation {kind!r}")
        return _unprocessable("malformed operation")
    if isinstance(error, jsonpointer.JsonPointerException) and not str(path).startswith("/"):
        return _unprocessable(f"invalid path {path!r}")
    if kind == "test":
        return _unprocessable(f"testing value {path} failed")
    if kind == "replace":
        return _unprocessable(f"replace operation does not apply: doc is missing key: {path}")
    if kind == "remove":
        return _unprocessable(f"remove operation does not apply: doc is missing path: {path}")
    if kind in ("move", "copy"):
        return _unprocessable(f"path {source!r} does not exist")
    if isinstance(error, jsonpatch.JsonPatchConflict) and not isinstance(error, jsonpatch.JsonPatchPathNotFound):
        return _unprocessable(f"bad index {path}")
    return _unprocessable(f"path {path!r} does not exist")


def json_patch(target: dict[str, Any], operations: Any) -> dict[str, Any]:
    """RFC 6902 by jsonpatch, one operation at a time so a failure names the operation's path."""
    if not isinstance(operations, list):
        raise ApiError(400, "the server rejected our request due to an error in our request: "
                            "json patch must be a list of operations")
    doc: Any = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or not isinstance(op.get("path"), str):
            raise _unprocessable("malformed operation")
        if op.get("op") == "replace" and _missing_member(doc, op["path"]):
            # the API server's JSON patch library (evanphx/json-patch v4) replaces a missing member of an
            # object as if it were added
            op = {**op, "op": "add"}
        try:
            doc = jsonpatch.JsonPatch([op]).apply(doc, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
            raise _failure(op, error) from None
    if not isinstance(doc, dict):
        raise _unprocessable("result is not an object")
    return doc


def _missing_member(doc: Any, path: str) -> bool:
    """Whether `path` names an absent member of an object that exists."""
    parent, _, member = path.rpartition("/")
    try:
        container = jsonpointer.resolve_pointer(doc, parent) if parent else doc
    except jsonpointer.JsonPointerException:
        return False
    return isinstance(container, dict) and jsonpointer.unescape(member) not in container


# The merge keys of the lists that the built-in kinds served here carry.
_MERGE_KEYS = {"ownerReferences": "uid", "conditions": "type"}
_UNION_LISTS = {"finalizers"}


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith(("$setElementOrder/", "$deleteFromPrimitiveList/")) or key in ("$retainKeys", "$patch"):
            continue
        if value is None:
            result.pop(key, None)
        elif key in _UNION_LISTS and isinstance(value, list):
            order = patch.get(f"$setElementOrder/{key}") or value
            original = list(result.get(key) or [])
            result[key] = _ordered(original, _unique(original + value), order, None)
        elif key in _MERGE_KEYS and isinstance(value, list):
            merged = _merge_by_key(result.get(key) or [], value, _MERGE_KEYS[key])
            order = patch.get(f"$setElementOrder/{key}") or value
            result[key] = _ordered(list(result.get(key) or []), merged, order, _MERGE_KEYS[key])
        else:
            merged = strategic_merge_patch(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    return result


def _merge_by_key(current: list[Any], patch: list[Any], key: str) -> list[Any]:
    out = [copy.deepcopy(item) for item in current]
    index = {item.get(key): i for i, item in enumerate(out) if isinstance(item, dict)}
    for item in patch:
        if not isinstance(item, dict):
            continue
        at = index.get(item.get(key))
        if item.get("$patch") == "delete":
            if at is not None:
                out[at] = None
        elif at is None:
            out.append(copy.deepcopy(item))
        else:
            out[at] = strategic_merge_patch(out[at], item)
    return [item for item in out if item is not None]


def _unique(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _ordered(original: list[Any], merged: list[Any], patch_order: list[Any], key: str | None) -> list[Any]:
    """The order strategic merge patch gives a merged list (normalizeElementOrder, mergeSortedSlice): the items
    the patch names in the patch's order, with the server-only items woven in where they stood in the live list."""
    def ident(item: Any) -> Any:
        return item.get(key) if key is not None and isinstance(item, dict) else item

    named = [ident(i) for i in patch_order]
    live = [ident(i) for i in original]
    right = sorted((i for i in merged if ident(i) in named), key=lambda i: named.index(ident(i)))
    left = [i for i in merged if ident(i) not in named]
    out: list[Any] = []
    while left and right:
        first, second = ident(left[0]), ident(right[0])
        if first in live and second in live and live.index(first) < live.index(second):
            out.append(left.pop(0))
        else:
            out.append(right.pop(0))
    return out + left + right
