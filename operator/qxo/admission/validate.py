"""OpenAPI v3 value validation of a prepared object, worded as kube-openapi and the apiextensions server word it."""

from __future__ import annotations

import math
from typing import Any

from qxo.admission import causes as c
from qxo.admission.causes import FieldCause, go_float
from qxo.admission.correlate import ABSENT, json_equal, old_field, old_items
from qxo.admission.formats import check_format
from qxo.admission.schema import Node

_JSON_TYPES = {bool: "boolean", int: "integer", str: "string", dict: "object", list: "array", type(None): "null"}


def json_type(value: Any) -> str:
    """The JSON type name kube-openapi reports for a decoded value."""
    name = _JSON_TYPES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "object"


def validate(value: Any, node: Node, path: str, out: list[FieldCause], old: Any = ABSENT) -> None:
    """Append the schema violations of `value` (and below) to `out`.

    On update, `old` is the correlated old value: an unchanged value keeps its errors to itself
    (validation ratcheting), so tightening a schema never blocks unrelated edits.
    """
    if old is not ABSENT and json_equal(old, value):
        return
    if value is None:
        if not node.nullable and node.type:
            out.append(_type_error(path, node.type, "null"))
        _check_enum(value, node, path, out)
        return
    # Like kube-openapi, a type error does not stop the checks that apply to the value's own kind.
    _check_type(value, node, path, out)
    if node.has_junctors:
        _check_junctors(value, node, path, out)
    if isinstance(value, str):
        _check_string(value, node, path, out)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        _check_number(value, node, path, out)
    _check_enum(value, node, path, out)
    if isinstance(value, dict):
        _check_object(value, node, path, out, old)
    elif isinstance(value, list):
        _check_array(value, node, path, out, old)


def _name(path: str) -> str:
    # kube-openapi names the root "." in its messages
    return path or "."


def _type_error(path: str, expected: str, actual: str) -> FieldCause:
    return c.type_invalid(path, actual, f"{_name(path)} in body must be of type {expected}: {c.go_quote(actual)}")


def _check_type(value: Any, node: Node, path: str, out: list[FieldCause]) -> bool:
    actual = json_type(value)
    if node.int_or_string and not node.any_of:
        if actual in ("integer", "string"):
            return True
        out.append(_type_error(path, "integer,string", actual))
        return False
    expected = node.type
    if not expected or expected == actual or (expected == "number" and actual == "integer"):
        return True
    out.append(_type_error(path, expected, actual))
    return False


def _check_junctors(value: Any, node: Node, path: str, out: list[FieldCause]) -> None:
    """allOf, anyOf, oneOf and not, with kube-openapi's composite messages."""
    name = _name(path)
    if node.any_of:
        results = [_errors_of(value, sub, path) for sub in node.any_of]
        if all(results):
            out.append(c.invalid(path, "", f"{name} in body must validate at least one schema (anyOf)"))
            out.extend(results[0])
    if node.one_of:
        results = [_errors_of(value, sub, path) for sub in node.one_of]
        passed = sum(1 for errors in results if not errors)
        if passed != 1:
            out.append(c.invalid(path, "", f"{name} in body must validate one and only one schema (oneOf)"))
            if passed == 0:
                out.extend(results[0])
    if node.all_of:
        results = [_errors_of(value, sub, path) for sub in node.all_of]
        if any(results):
            out.append(c.invalid(path, "", f"{name} in body must validate all the schemas (allOf)"))
            out.extend(error for errors in results for error in errors)
    if node.not_ is not None and not _errors_of(value, node.not_, path):
        out.append(c.invalid(path, "", f"{name} in body must not validate the schema (not)"))


def _errors_of(value: Any, node: Node, path: str) -> list[FieldCause]:
    found: list[FieldCause] = []
    validate(value, node, path, found)
    return found


def _check_string(value: str, node: Node, path: str, out: list[FieldCause]) -> None:
    # kube-openapi's string validator stops at its first failure: maxLength, then minLength, then pattern
    length = len(value)
    if node.max_length is not None and length > node.max_length:
        out.append(c.too_long(path, node.max_length))
    elif node.min_length is not None and length < node.min_length:
        detail = f"{_name(path)} in body should be at least {node.min_length} chars long"
        out.append(c.invalid(path, value, detail))
    elif node.pattern is not None and node.pattern.search(value) is None:
        detail = f"{_name(path)} in body should match '{node.pattern_text}'"
        out.append(c.invalid(path, value, detail))
    if node.format and not check_format(node.format, value):
        detail = f"{_name(path)} in body must be of type {node.format}: {c.go_quote(value)}"
        out.append(c.type_invalid(path, value, detail))


def _check_number(value: float, node: Node, path: str, out: list[FieldCause]) -> None:
    name = _name(path)
    if node.maximum is not None:
        if node.exclusive_maximum and value >= node.maximum:
            out.append(c.invalid(path, value, f"{name} in body should be less than {_num(node.maximum)}"))
        elif value > node.maximum:
            detail = f"{name} in body should be less than or equal to {_num(node.maximum)}"
            out.append(c.invalid(path, value, detail))
    if node.minimum is not None:
        if node.exclusive_minimum and value <= node.minimum:
            out.append(c.invalid(path, value, f"{name} in body should be greater than {_num(node.minimum)}"))
        elif value < node.minimum:
            detail = f"{name} in body should be greater than or equal to {_num(node.minimum)}"
            out.append(c.invalid(path, value, detail))
    if node.multiple_of and not _is_multiple(value, node.multiple_of):
        out.append(c.invalid(path, value, f"{name} in body should be a multiple of {_num(node.multiple_of)}"))


def _num(number: float) -> str:
    return go_float(float(number))


def _is_multiple(value: float, divisor: float) -> bool:
    quotient = value / divisor
    return math.isfinite(quotient) and abs(quotient - round(quotient)) < 1e-9


def _check_enum(value: Any, node: Node, path: str, out: list[FieldCause]) -> None:
    if node.enum is None:
        return
    for allowed in node.enum:
        if _json_equal(allowed, value):
            return
    out.append(c.not_supported(path, value, node.enum))


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _check_object(value: dict[str, Any], node: Node, path: str, out: list[FieldCause], old: Any) -> None:
    name = _name(path)
    count = len(value)
    if node.max_properties is not None and count > node.max_properties:
        out.append(c.too_many(path, count, node.max_properties))
    if node.min_properties is not None and count < node.min_properties:
        detail = f"{name} in body should have at least {node.min_properties} properties"
        out.append(c.invalid(path, count, detail))
    for key in node.required:
        if key not in value:
            out.append(c.required(_child(path, key)))
    for key, child in node.properties.items():
        if key in value:
            validate(value[key], child, _child(path, key), out, old_field(old, key))
    if node.additional is not None:
        for key in sorted(value):
            if key not in node.properties:
                # kube-openapi joins map keys with dots, so the path reads spec.labels.foo
                validate(value[key], node.additional, _child(path, key), out, old_field(old, key))
    if node.embedded:
        for key in ("apiVersion", "kind"):
            if not isinstance(value.get(key), str) or not value.get(key):
                out.append(c.required(_child(path, key), "must not be empty"))


def _check_array(value: list[Any], node: Node, path: str, out: list[FieldCause], old: Any) -> None:
    count = len(value)
    if node.max_items is not None and count > node.max_items:
        out.append(c.too_many(path, count, node.max_items))
    if node.min_items is not None and count < node.min_items:
        detail = f"{_name(path)} in body should have at least {node.min_items} items"
        out.append(c.invalid(path, count, detail))
    if node.items is not None:
        olds = old_items(node, old, value, by_index=True)
        for index, item in enumerate(value):
            validate(item, node.items, f"{path}[{index}]", out, olds[index])


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
