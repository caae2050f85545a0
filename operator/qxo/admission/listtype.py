"""The x-kubernetes-list-type set and map invariants: no duplicate items, no duplicate keys."""

from __future__ import annotations

import json
from typing import Any

from qxo.admission import causes as c
from qxo.admission.causes import FieldCause
from qxo.admission.schema import Node


def validate_lists(value: Any, node: Node | None, path: str, out: list[FieldCause]) -> None:
    """Append a Duplicate cause for every repeated set item or map-list key below `value`."""
    if node is None or not node.has_list_types:
        return
    if isinstance(value, list):
        if node.list_type == "set":
            _check_set(value, path, out)
        elif node.list_type == "map":
            _check_map(value, node.list_map_keys, path, out)
        if node.items is not None and node.items.has_list_types:
            for index, item in enumerate(value):
                validate_lists(item, node.items, f"{path}[{index}]", out)
    elif isinstance(value, dict):
        for key, item in value.items():
            child = node.properties.get(key)
            if child is not None:
                validate_lists(item, child, f"{path}.{key}" if path else key, out)
            elif node.additional is not None:
                validate_lists(item, node.additional, f"{path}[{key}]", out)


def _fingerprint(value: Any) -> Any:
    # Scalars key by (type, value) so 1, 1.0 and true stay distinct; containers by canonical JSON.
    if value is None or isinstance(value, str | int | float):
        return (type(value), value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _check_set(items: list[Any], path: str, out: list[FieldCause]) -> None:
    seen: set[Any] = set()
    for index, item in enumerate(items):
        mark = _fingerprint(item)
        if mark in seen:
            out.append(c.duplicate(f"{path}[{index}]", item))
        seen.add(mark)


def _check_map(items: list[Any], keys: tuple[str, ...], path: str, out: list[FieldCause]) -> None:
    seen: set[Any] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        key_values = {key: item.get(key) for key in keys}
        mark = tuple(_fingerprint(v) for v in key_values.values())
        if mark in seen:
            out.append(c.duplicate(f"{path}[{index}]", key_values))
        seen.add(mark)
