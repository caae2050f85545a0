"""`as=Table` responses: the printer columns `kubectl get` shows, computed on the server as the real one does."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from qxo.sandbox.kube.resources import ResourceType

_TOKEN = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+|\*)\]|\[\?\(@\.([A-Za-z0-9_.-]+)\s*==\s*[\"']([^\"']*)[\"']\)\]")


def json_path(obj: Any, path: str) -> list[Any]:
    """The subset of Kubernetes JSONPath that printer columns use: fields, indexes, [*] and [?(@.f=="v")]."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    values = [obj]
    for match in _TOKEN.finditer(path):
        field, index, filter_field, filter_value = match.groups()
        nxt: list[Any] = []
        for value in values:
            if field is not None and isinstance(value, dict) and field in value:
                nxt.append(value[field])
            elif index == "*" and isinstance(value, list):
                nxt.extend(value)
            elif index is not None and index != "*" and isinstance(value, list) and int(index) < len(value):
                nxt.append(value[int(index)])
            elif filter_field is not None and isinstance(value, list):
                nxt.extend(v for v in value if str(_dig(v, filter_field)) == filter_value)
        values = nxt
    return values


def _dig(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def human_duration(since: str) -> str:
    """Go's duration.HumanDuration, the way kubectl prints AGE."""
    try:  # a timestamp or a MicroTime (with a fraction of a second)
        then = dt.datetime.strptime(str(since).split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    except (TypeError, ValueError):
        return "<unknown>"
    seconds = int((dt.datetime.now(dt.UTC) - then).total_seconds())
    if seconds < 0:
        return "0s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 730:
        return f"{days}d"
    return f"{days // 365}y{days % 365}d" if days < 2920 else f"{days // 365}y"


def _cell(rtype: ResourceType, column, obj: dict[str, Any]) -> Any:
    if column.cell is not None:
        value = column.cell(obj)
    else:
        values = json_path(obj, column.json_path)
        value = values[0] if values else None
    if value is None:
        return None
    if column.age or (column.type == "date" and rtype.crd_name):
        return human_duration(value)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return value


def column_definitions(rtype: ResourceType) -> list[dict[str, Any]]:
    return [
        {"name": c.name, "type": c.type, "format": c.format, "description": c.description, "priority": c.priority}
        for c in rtype.columns
    ]


def row(rtype: ResourceType, obj: dict[str, Any], include: str) -> dict[str, Any]:
    out: dict[str, Any] = {"cells": [_cell(rtype, c, obj) for c in rtype.columns]}
    if include == "Object":
        out["object"] = obj
    elif include == "None":
        out["object"] = None
    else:
        out["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata", {}),
        }
    return out


def table(rtype: ResourceType, objects: list[dict[str, Any]], meta: dict[str, Any], include: str) -> dict[str, Any]:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {k: v for k, v in meta.items() if v != ""},  # a Table's ListMeta is typed: omitempty
        "columnDefinitions": column_definitions(rtype),
        "rows": [row(rtype, obj, include) for obj in objects],
    }


def wants_table(accept: str) -> bool:
    return "as=Table" in accept
