"""Pruning of unknown fields, dropping of non-nullable nulls and defaulting, in one copying pass.

The API server prunes while decoding, drops non-nullable nulls that have no default, then applies
defaults top-down wherever the parent exists; this pass does the same and never touches its input.
"""

from __future__ import annotations

from typing import Any

from qxo.admission.schema import Node

_RESOURCE_ROOT_KEYS = ("apiVersion", "kind", "metadata")


def copy_json(value: Any) -> Any:
    """A deep copy of decoded JSON; several times faster than copy.deepcopy, which admission leans on."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def prepare(value: Any, node: Node | None, path: str, pruned: list[str], resource_root: bool = False) -> Any:
    """Return a pruned, defaulted copy of `value` under `node`; unknown field paths go to `pruned`."""
    if node is None:
        return copy_json(value)
    if isinstance(value, dict):
        return _prepare_object(value, node, path, pruned, resource_root or node.embedded)
    if isinstance(value, list):
        return _prepare_list(value, node, path, pruned)
    return value


def _prepare_object(value: dict[str, Any], node: Node, path: str, pruned: list[str], resource_root: bool) -> dict:
    result: dict[str, Any] = {}
    for key, item in value.items():
        key_path = f"{path}.{key}" if path else key
        if resource_root and key == "metadata":
            # ObjectMeta is coerced by its own type, never pruned by the CRD schema.
            result[key] = copy_json(item)
            continue
        child = node.properties.get(key)
        if child is None and node.additional is not None:
            child = node.additional
        if child is not None:
            if item is None and not child.nullable:
                if child.has_default:
                    result[key] = prepare(child.default_copy(), child, key_path, pruned)
                # A non-nullable null without a default is dropped silently, like the server does.
                continue
            result[key] = prepare(item, child, key_path, pruned)
        elif resource_root and key in _RESOURCE_ROOT_KEYS:
            # apiVersion, kind and metadata of a resource are kept; metadata is checked on its own.
            result[key] = copy_json(item)
        elif node.preserve_unknown:
            result[key] = copy_json(item)
        else:
            pruned.append(key_path)
    for key, child in node.properties.items():
        if key not in result and key not in value and child.has_default:
            key_path = f"{path}.{key}" if path else key
            result[key] = prepare(child.default_copy(), child, key_path, pruned)
    return result


def _prepare_list(value: list[Any], node: Node, path: str, pruned: list[str]) -> list:
    items = node.items
    if items is None:
        if node.preserve_unknown or not node.type:
            return copy_json(value)
        items = Node()
    result = []
    for index, item in enumerate(value):
        if item is None and not items.nullable and items.has_default:
            item = items.default_copy()
        result.append(prepare(item, items, f"{path}[{index}]", pruned))
    return result
