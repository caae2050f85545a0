"""Pairing new values with their old counterparts on update, as validation ratcheting and oldSelf need."""

from __future__ import annotations

from typing import Any

from qxo.admission.schema import Node

# The old value could not be correlated (create, a new key, an item of a set or atomic list).
ABSENT: Any = object()


def json_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual over decoded JSON: no bool/int or int/float coercion."""
    # Python's own == is fast and only ever more lenient, so it settles every "different".
    return a == b and _strict_equal(a, b)


def _strict_equal(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return all(_strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return all(_strict_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def old_field(old: Any, key: str) -> Any:
    if isinstance(old, dict) and key in old:
        return old[key]
    return ABSENT


def map_key(node: Node, item: Any) -> str | None:
    """The identity of an x-kubernetes-list-type: map item, which survives reordering."""
    if not isinstance(item, dict):
        return None
    return repr([item.get(key) for key in node.list_map_keys])


def old_items(node: Node, old: Any, new: list[Any], by_index: bool) -> list[Any]:
    """The old counterpart of each new item: by map keys for map lists, by index when `by_index` allows."""
    if not isinstance(old, list):
        return [ABSENT] * len(new)
    if node.list_type == "map":
        keyed = {key: item for item in old if (key := map_key(node, item)) is not None}
        return [keyed.get(map_key(node, item) or "", ABSENT) for item in new]
    if node.list_type or not by_index:
        return [ABSENT] * len(new)
    return [old[i] if i < len(old) else ABSENT for i in range(len(new))]
