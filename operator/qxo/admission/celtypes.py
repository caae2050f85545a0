"""The typed view CEL rules get of a value: doubles for numbers; timestamps, durations, bytes for formatted strings."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from qxo.admission.celfuncs import duration, timestamp
from qxo.admission.cellib import CelError
from qxo.admission.schema import Node


def cel_view(value: Any, node: Node | None) -> Any:
    """`value` as Kubernetes' CEL type system sees it under `node`; untyped subtrees are returned as they are."""
    if node is None or not node.cel_typed or value is None:
        return value
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            child = node.properties.get(key) or node.additional
            result[key] = cel_view(item, child)
        return result
    if isinstance(value, list):
        return [cel_view(item, node.items) for item in value]
    if node.type == "number" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        return _typed_string(value, node.format)
    return value


def _typed_string(value: str, fmt: str) -> Any:
    # A value the schema already refused stays a string; schema errors are reported on their own.
    try:
        if fmt == "date-time":
            return timestamp(value)
        if fmt == "date":
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        if fmt == "duration":
            return duration(value)
        if fmt == "byte":
            return base64.b64decode(value, validate=True)
    except (CelError, ValueError, binascii.Error):
        return value
    return value
