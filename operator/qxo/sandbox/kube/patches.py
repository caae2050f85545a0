"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and the part of strategic merge
patch that kubectl sends for the built-in kinds served here."""

from __future__ import annotations

import copy
from typing import Any

from qxo.sandbox.kube.errors import ApiError

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"


def _unprocessable(message: str) -> ApiError:
    return ApiError(422, message, reason="Invalid")


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _unprocessable(f"the server rejected our request due to an error in our request: invalid path {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _resolve(doc: Any, parts: list[str], path: str) -> Any:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise _unprocessable(f"the server rejected our request due to an error in our request: "
                                 f"path {path!r} does not exist")
    return doc


def _add(doc: Any, parts: list[str], value: Any, path: str, replace: bool) -> Any:
    if not parts:
        return value
    parent = _resolve(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise _unprocessable(f"the server rejected our request due to an error in our request: "
                                 f"replace operation does not apply: doc is missing key: {path}")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise _unprocessable(f"the server rejected our request due to an error in our request: bad index {path}")
    else:
        raise _unprocessable(f"the server rejected our request due to an error in our request: bad path {path}")
    return doc


def _remove(doc: Any, parts: list[str], path: str) -> Any:
    parent = _resolve(doc, parts[:-1], path)
    last = parts[-1] if parts else ""
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise _unprocessable(f"the server rejected our request due to an error in our request: "
                         f"remove operation does not apply: doc is missing path: {path}")


def json_patch(target: dict[str, Any], operations: Any) -> dict[str, Any]:
    if not isinstance(operations, list):
        raise ApiError(400, "the server rejected our request due to an error in our request: "
                            "json patch must be a list of operations")
    doc: Any = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise _unprocessable("the server rejected our request due to an error in our request: malformed operation")
        path = op["path"]
        parts = _pointer(path)
        kind = op["op"]
        if kind == "test":
            if _resolve(doc, parts, path) != op.get("value"):
                raise _unprocessable(f"the server rejected our request due to an error in our request: "
                                     f"testing value {path} failed")
        elif kind in ("add", "replace"):
            doc = _add(doc, parts, copy.deepcopy(op.get("value")), path, replace=kind == "replace")
        elif kind == "remove":
            _remove(doc, parts, path)
        elif kind in ("move", "copy"):
            source = op.get("from", "")
            value = _resolve(doc, _pointer(source), source)
            if kind == "move":
                _remove(doc, _pointer(source), source)
            doc = _add(doc, parts, copy.deepcopy(value), path, replace=False)
        else:
            raise _unprocessable(f"the server rejected our request due to an error in our request: "
                                 f"unknown operation {kind!r}")
    if not isinstance(doc, dict):
        raise _unprocessable("the server rejected our request due to an error in our request: result is not an object")
    return doc


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
            existing = list(result.get(key) or [])
            result[key] = existing + [v for v in value if v not in existing]
        elif key in _MERGE_KEYS and isinstance(value, list):
            result[key] = _merge_by_key(result.get(key) or [], value, _MERGE_KEYS[key])
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
