"""CEL's core semantics over plain JSON values: equality, ordering, arithmetic, selection and the macros."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

import lark

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class CelError(Exception):
    """A CEL evaluation error; becomes a cause, never escapes admission."""


class CelOptional:
    """CEL's optional type, used for oldSelf under optionalOldSelf."""

    __slots__ = ("present", "value")

    def __init__(self, present: bool, value: Any = None) -> None:
        self.present = present
        self.value = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CelOptional):
            return False
        return self.present == other.present and (not self.present or cel_equal(self.value, other.value))

    __hash__ = None  # type: ignore[assignment]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def need(value: Any, kind: type | tuple[type, ...], name: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise CelError(f"no such overload: {type_name(value)}.{name}")
    return value


def check_int(value: int) -> int:
    if value < INT64_MIN or value > INT64_MAX:
        raise CelError("integer overflow")
    return value


def cel_equal(a: Any, b: Any) -> bool:
    """CEL equality: numbers compare across int and double, other types never equal each other."""
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(cel_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(cel_equal(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    return a == b


def cel_compare(a: Any, b: Any) -> int:
    """-1, 0 or 1 for orderable pairs; anything else is a no-such-overload error."""
    if (_is_number(a) and _is_number(b)) or (
        type(a) is type(b) and isinstance(a, str | bytes | bool | datetime | timedelta)
    ):
        return (a > b) - (a < b)
    raise CelError(f"no such overload: {type_name(a)} < {type_name(b)}")


def type_name(value: Any) -> str:
    if value is None:
        return "null_type"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return {
        str: "string",
        bytes: "bytes",
        list: "list",
        dict: "map",
        datetime: "google.protobuf.Timestamp",
        timedelta: "google.protobuf.Duration",
        CelOptional: "optional_type",
    }.get(type(value), type(value).__name__)


def _overload(op: str, a: Any, b: Any) -> CelError:
    return CelError(f"no such overload: {type_name(a)} {op} {type_name(b)}")


def add(a: Any, b: Any) -> Any:
    if _is_number(a) and _is_number(b):
        return check_int(a + b) if isinstance(a, int) and isinstance(b, int) else float(a) + float(b)
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    if isinstance(a, bytes) and isinstance(b, bytes):
        return a + b
    if isinstance(a, datetime | timedelta) and isinstance(b, timedelta):
        return a + b
    if isinstance(a, timedelta) and isinstance(b, datetime):
        return b + a
    raise _overload("+", a, b)


def subtract(a: Any, b: Any) -> Any:
    if _is_number(a) and _is_number(b):
        return check_int(a - b) if isinstance(a, int) and isinstance(b, int) else float(a) - float(b)
    if isinstance(a, datetime) and isinstance(b, datetime | timedelta):
        return a - b
    if isinstance(a, timedelta) and isinstance(b, timedelta):
        return a - b
    raise _overload("-", a, b)


def multiply(a: Any, b: Any) -> Any:
    if _is_number(a) and _is_number(b):
        return check_int(a * b) if isinstance(a, int) and isinstance(b, int) else float(a) * float(b)
    raise _overload("*", a, b)


def divide(a: Any, b: Any) -> Any:
    if _is_number(a) and _is_number(b):
        if isinstance(a, int) and isinstance(b, int):
            if b == 0:
                raise CelError("division by zero")
            quotient = abs(a) // abs(b)
            return check_int(quotient if (a >= 0) == (b >= 0) else -quotient)
        if b == 0:
            return math.copysign(math.inf, a) * math.copysign(1, b) if a else math.nan
        return float(a) / float(b)
    raise _overload("/", a, b)


def modulo(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and not isinstance(b, bool):
        if b == 0:
            raise CelError("modulus by zero")
        return int(math.fmod(a, b))
    raise _overload("%", a, b)


def negate(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return check_int(-value)
    if isinstance(value, float | timedelta):
        return -value
    raise CelError(f"no such overload: -{type_name(value)}")


_RESERVED = frozenset(
    "true false null in as break const continue else for function if import let loop package namespace return var "
    "void while".split()
)
_ESCAPED = re.compile(r"__(underscores|dot|dash|slash)__")
_UNESCAPES = {"underscores": "__", "dot": ".", "dash": "-", "slash": "/"}


def unescape_field(name: str) -> str:
    """A property name as written in the schema, from its CEL spelling (foo__dash__bar, __namespace__)."""
    if name.startswith("__") and name.endswith("__") and name[2:-2] in _RESERVED:
        return name[2:-2]
    return _ESCAPED.sub(lambda m: _UNESCAPES[m.group(1)], name) if "__" in name else name


def select(target: Any, name: str) -> Any:
    if isinstance(target, dict):
        if name in target:
            return target[name]
        key = unescape_field(name)
        if key in target:
            return target[key]
        raise CelError(f"no such key: {key}")
    raise CelError(f"no such overload: {type_name(target)}.{name}")


def has_field(target: Any, name: str) -> bool:
    if isinstance(target, dict):
        return name in target or unescape_field(name) in target
    raise CelError(f"invalid type for field selection: {type_name(target)}")


def index(target: Any, key: Any) -> Any:
    if isinstance(target, list):
        if isinstance(key, float) and key.is_integer():
            key = int(key)
        if not isinstance(key, int) or isinstance(key, bool):
            raise CelError(f"unsupported index type '{type_name(key)}' in list")
        if key < 0 or key >= len(target):
            raise CelError(f"index out of bounds: {key}")
        return target[key]
    if isinstance(target, dict):
        if isinstance(key, str | int) and not isinstance(key, bool) and key in target:
            return target[key]
        raise CelError(f"no such key: {key}")
    raise CelError(f"no such overload: {type_name(target)}[{type_name(key)}]")


_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "`": "`",
    "?": "?",
}
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-3][0-7]{2}|.)", re.S)


def _unescape(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "xuU":
            return chr(int(code[1:], 16))
        if code[0].isdigit():
            return chr(int(code, 8))
        if code in _ESCAPES:
            return _ESCAPES[code]
        raise lark.exceptions.LarkError(f"invalid escape sequence \\{code}")

    return _ESCAPE.sub(replace, body)


def _string_literal(text: str) -> str:
    raw = text[0] in "rR"
    if raw:
        text = text[1:]
    quote = text[:3] if text[:3] in ('"""', "'''") else text[0]
    body = text[len(quote) : -len(quote)]
    return body if raw else _unescape(body)


def literal(token: lark.Token) -> Any:
    text = str(token)
    kind = token.type
    if kind == "INT_LIT":
        return check_int(int(text, 0))
    if kind == "UINT_LIT":
        return int(text[:-1], 0)
    if kind == "FLOAT_LIT":
        return float(text)
    if kind in ("STRING_LIT", "MLSTRING_LIT"):
        return _string_literal(text)
    if kind == "BYTES_LIT":
        return _string_literal(text[1:]).encode("utf-8", "surrogatepass")
    if kind == "BOOL_LIT":
        return text == "true"
    if kind == "NULL_LIT":
        return None
    raise lark.exceptions.LarkError(f"unknown literal {text}")
