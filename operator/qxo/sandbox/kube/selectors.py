"""labelSelector and fieldSelector: parsed once per request, then matched per object."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from qxo.admission.metadata import label_value, qualified_name
from qxo.sandbox.kube.errors import bad_request
from qxo.sandbox.kube.resources import ResourceType

Matcher = Callable[[dict[str, Any]], bool]

_SET = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


def _split(selector: str) -> list[str]:
    """Split on commas that are not inside an `in (...)` set."""
    parts, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def _checked(key: str, values: set[str] | frozenset[str] = frozenset()) -> str:
    """A requirement's key must be a qualified name and its values label values, as labels.Parse checks."""
    for text, errors in ((key, qualified_name(key)), *((v, label_value(v)) for v in sorted(values))):
        if errors:
            raise bad_request(f'unable to parse requirement: <nil>: Invalid value: "{text}": {"; ".join(errors)}')
    return key


def _requirement(text: str) -> Callable[[dict[str, str]], bool]:
    if match := _SET.match(text):
        key, op, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",") if v.strip()}
        _checked(key, values)
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if match := _EQ.match(text):
        key, op, value = match.groups()
        _checked(key, {value})
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS.match(text):
        negate, key = match.groups()
        _checked(key)
        if negate:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise bad_request(f"unable to parse requirement: {text.strip()!r}")


def label_matcher(selector: str | None) -> Matcher | None:
    if not selector:
        return None
    requirements = [_requirement(part) for part in _split(selector)]
    return lambda obj: all(req((obj.get("metadata") or {}).get("labels") or {}) for req in requirements)


def _field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if path == "source" and isinstance(value, dict):
        value = value.get("component")
    return "" if value is None else str(value)


def field_matcher(selector: str | None, rtype: ResourceType) -> Matcher | None:
    if not selector:
        return None
    allowed = {"metadata.name", "metadata.namespace"} | set(rtype.field_labels)
    checks = []
    for part in _split(selector):
        match = _EQ.match(part) or re.match(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not match:
            raise bad_request(f"invalid selector: {part.strip()!r}")
        path, op, value = match.groups()
        if path not in allowed:
            raise bad_request(f"field label not supported: {path}")
        checks.append((path, op == "!=", value))
    return lambda obj: all((_field_value(obj, p) == v) != neg for p, neg, v in checks)


def both(first: Matcher | None, second: Matcher | None) -> Matcher | None:
    if first and second:
        return lambda obj: first(obj) and second(obj)
    return first or second
