"""Field causes worded as the Kubernetes API server words them, and the 422 Status that carries them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

INVALID = "FieldValueInvalid"
TYPE_INVALID = "FieldValueTypeInvalid"
REQUIRED = "FieldValueRequired"
NOT_SUPPORTED = "FieldValueNotSupported"
DUPLICATE = "FieldValueDuplicate"
FORBIDDEN = "FieldValueForbidden"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"
INTERNAL = "InternalError"

_TYPE_WORDS = {
    INVALID: "Invalid value",
    TYPE_INVALID: "Invalid value",
    REQUIRED: "Required value",
    NOT_SUPPORTED: "Unsupported value",
    DUPLICATE: "Duplicate value",
    FORBIDDEN: "Forbidden",
    TOO_LONG: "Too long",
    TOO_MANY: "Too many",
    INTERNAL: "Internal error",
    "FieldValueNotFound": "Not found",
}
# These kinds never show the offending value (field.Error.ErrorBody).
_VALUELESS = {REQUIRED, FORBIDDEN, TOO_LONG, INTERNAL}
# A missing value, as opposed to a JSON null (field.omitValue).
OMIT = object()

# The field path the API server prints for an error that belongs to no field (a nil *field.Path).
NIL_PATH = "<nil>"


@dataclass(frozen=True)
class FieldCause:
    """One refusal: the field path, the StatusCause reason and the message without the path."""

    field: str
    reason: str
    message: str

    def display(self) -> str:
        return f"{self.field}: {self.message}"

    def as_status_cause(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}


def make_cause(reason: str, field: str, value: Any = OMIT, detail: str = "") -> FieldCause:
    """Build a cause the way field.Error.ErrorBody renders it."""
    text = _TYPE_WORDS.get(reason, "Invalid value")
    if reason not in _VALUELESS and value is not OMIT:
        text = f"{text}: {go_value(value)}"
    if detail:
        text = f"{text}: {detail}"
    return FieldCause(field=field or NIL_PATH, reason=reason, message=text)


def invalid(field: str, value: Any, detail: str) -> FieldCause:
    return make_cause(INVALID, field, value, detail)


def type_invalid(field: str, value: Any, detail: str) -> FieldCause:
    return make_cause(TYPE_INVALID, field, value, detail)


def required(field: str, detail: str = "") -> FieldCause:
    return make_cause(REQUIRED, field, detail=detail)


def forbidden(field: str, detail: str) -> FieldCause:
    return make_cause(FORBIDDEN, field, detail=detail)


def duplicate(field: str, value: Any) -> FieldCause:
    return make_cause(DUPLICATE, field, value)


def not_supported(field: str, value: Any, supported: list[Any]) -> FieldCause:
    words = [go_quote(v) if isinstance(v, str) else go_quote(go_json(v)) for v in supported]
    detail = "supported values: " + ", ".join(words) if words else ""
    return make_cause(NOT_SUPPORTED, field, value, detail)


def too_long(field: str, max_length: int) -> FieldCause:
    unit = "byte" if max_length == 1 else "bytes"
    return make_cause(TOO_LONG, field, detail=f"may not be more than {max_length} {unit}")


def too_many(field: str, actual: int, maximum: int) -> FieldCause:
    unit = "item" if maximum == 1 else "items"
    return make_cause(TOO_MANY, field, actual, f"must have at most {maximum} {unit}")


def go_value(value: Any) -> str:
    """Render a bad value as field.Error.ErrorBody does: nil as "null" (quoted, a string by then), numbers
    and booleans plainly, strings quoted, and anything else (maps, lists) as Go's %#v prints it."""
    if value is None:
        return go_quote("null")
    if isinstance(value, str):
        return go_quote(value)
    return go_syntax(value)


def go_syntax(value: Any) -> str:
    """fmt's %#v of a decoded JSON value: map[string]interface {}{"k":v, ...} with sorted keys, []interface {}{...}."""
    if value is None:
        return "interface {}(nil)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "map[string]interface {}{" + ", ".join(f"{go_quote(str(k))}:{go_syntax(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[]interface {}{" + ", ".join(go_syntax(v) for v in value) + "}"
    return go_quote(str(value))


def go_quote(text: str) -> str:
    """strconv.Quote: double quotes, Go escapes for controls, printable Unicode kept."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not ch.isprintable() and ch != " ":
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_GO_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def go_float(number: float) -> str:
    """fmt's %v of a float64: shortest digits, exponent form below 1e-4 or from 1e6 (strconv 'g', -1)."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    digits, exponent = _shortest_digits(number)
    sign = "-" if number < 0 else ""
    if exponent < -4 or exponent >= 6:
        return sign + _exponent_form(digits, exponent)
    return sign + _plain_form(digits, exponent)


def _shortest_digits(number: float) -> tuple[str, int]:
    _, digit_tuple, exp = Decimal(repr(abs(number))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    # exponent of the leading digit in scientific notation
    exponent = len(digit_tuple) + int(exp) - 1
    return digits, exponent


def _exponent_form(digits: str, exponent: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if exponent < 0 else "+"
    return f"{mantissa}e{sign}{abs(exponent):02d}"


def _plain_form(digits: str, exponent: int) -> str:
    if exponent < 0:
        return "0." + "0" * (-exponent - 1) + digits
    if len(digits) <= exponent + 1:
        return digits + "0" * (exponent + 1 - len(digits))
    return digits[: exponent + 1] + "." + digits[exponent + 1 :]


def go_json(value: Any) -> str:
    """encoding/json.Marshal: sorted keys, HTML-safe escapes, integral floats without a fraction."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "{" + ",".join(f"{_json_string(str(k))}:{go_json(v)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    return _json_string(str(value))


def _json_float(number: float) -> str:
    if math.isnan(number) or math.isinf(number):
        return "null"
    if number == 0:
        return "0"
    if abs(number) < 1e-6 or abs(number) >= 1e21:
        digits, exponent = _shortest_digits(number)
        text = _exponent_form(digits, exponent).replace("e-0", "e-").replace("e+0", "e+")
        return ("-" if number < 0 else "") + text
    digits, exponent = _shortest_digits(number)
    return ("-" if number < 0 else "") + _plain_form(digits, exponent)


def _json_string(text: str) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or ch in "<>&" or code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def aggregate_message(causes: list[FieldCause]) -> str:
    """utilerrors.Aggregate's Error(): duplicates collapse; several are bracketed and comma-joined."""
    seen: list[str] = []
    for cause in causes:
        text = cause.display()
        if text not in seen:
            seen.append(text)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


def to_status(group: str, kind: str, name: str, causes: list[FieldCause]) -> dict[str, Any]:
    """The v1 Status of a 422 Invalid response, as apierrors.NewInvalid builds it."""
    qualified = f"{kind}.{group}" if group else kind
    message = f"{qualified} {go_quote(name)} is invalid"
    if causes:
        message = f"{message}: {aggregate_message(causes)}"
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Invalid",
        # StatusDetails' fields are omitempty
        "details": {key: value for key, value in (
            ("name", name), ("group", group), ("kind", kind),
            ("causes", [cause.as_status_cause() for cause in causes])) if value},
        "code": 422,
    }
