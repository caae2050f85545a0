"""The CEL functions Kubernetes offers to x-kubernetes-validations: standard, string, list, regex, URL, IP, optional."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from qxo.admission.causes import go_float
from qxo.admission.cellib import CelError, CelOptional, cel_compare, cel_equal, check_int, type_name
from qxo.admission.cellib import need as _need
from qxo.admission.celnet import CIDR, IP, NET_FUNCTIONS, NET_METHODS
from qxo.admission.celurl import URL_FUNCTIONS, URL_METHODS
from qxo.admission.regex import RegexError, compile_go_regex


def _regex(pattern: str) -> Any:
    try:
        return compile_go_regex(pattern)
    except RegexError as exc:
        raise CelError(f"invalid regex {pattern!r}: {exc}") from None


def size(value: Any) -> int:
    if isinstance(value, str | bytes | list | dict):
        return len(value)
    raise CelError(f"no such overload: size({type_name(value)})")


def _contains(s: Any, sub: Any) -> bool:
    return _need(sub, str, "contains") in _need(s, str, "contains")


def _starts(s: Any, prefix: Any) -> bool:
    return _need(s, str, "startsWith").startswith(_need(prefix, str, "startsWith"))


def _ends(s: Any, suffix: Any) -> bool:
    return _need(s, str, "endsWith").endswith(_need(suffix, str, "endsWith"))


def _matches(s: Any, pattern: Any) -> bool:
    return _regex(_need(pattern, str, "matches")).search(_need(s, str, "matches")) is not None


def _find(s: Any, pattern: Any) -> str:
    match = _regex(_need(pattern, str, "find")).search(_need(s, str, "find"))
    return match.group(0) if match else ""


def _find_all(s: Any, pattern: Any, limit: Any = -1) -> list[str]:
    found = [m.group(0) for m in _regex(_need(pattern, str, "findAll")).finditer(_need(s, str, "findAll"))]
    return found if limit < 0 else found[:limit]


def _lower_ascii(s: Any) -> str:
    return "".join(ch.lower() if ch.isascii() else ch for ch in _need(s, str, "lowerAscii"))


def _upper_ascii(s: Any) -> str:
    return "".join(ch.upper() if ch.isascii() else ch for ch in _need(s, str, "upperAscii"))


def _split(s: Any, sep: Any, limit: Any = -1) -> list[str]:
    s, sep = _need(s, str, "split"), _need(sep, str, "split")
    if limit == 0:
        return []
    if sep == "":
        parts = list(s)
        if limit > 0 and len(parts) > limit:
            parts = [*parts[: limit - 1], "".join(parts[limit - 1 :])]
        return parts
    return s.split(sep, limit - 1) if limit > 0 else s.split(sep)


def _join(items: Any, sep: Any = "") -> str:
    items = _need(items, list, "join")
    if not all(isinstance(item, str) for item in items):
        raise CelError("join: list must contain strings only")
    return _need(sep, str, "join").join(items)


def _index_of(target: Any, item: Any, start: Any = 0) -> int:
    if isinstance(target, list):
        return next((i for i, x in enumerate(target) if cel_equal(x, item)), -1)
    s, sub = _need(target, str, "indexOf"), _need(item, str, "indexOf")
    if start < 0 or start > len(s):
        raise CelError(f"index out of range: {start}")
    return s.find(sub, start)


def _last_index_of(target: Any, item: Any, end: Any = None) -> int:
    if isinstance(target, list):
        return max((i for i, x in enumerate(target) if cel_equal(x, item)), default=-1)
    s, sub = _need(target, str, "lastIndexOf"), _need(item, str, "lastIndexOf")
    if end is None:
        return s.rfind(sub)
    if end < 0 or end >= len(s):
        raise CelError(f"index out of range: {end}")
    return s.rfind(sub, 0, end + len(sub))


def _trim(s: Any) -> str:
    return _need(s, str, "trim").strip()


def _replace(s: Any, old: Any, new: Any, limit: Any = -1) -> str:
    return _need(s, str, "replace").replace(_need(old, str, "replace"), _need(new, str, "replace"), limit)


def _substring(s: Any, start: Any, end: Any = None) -> str:
    s = _need(s, str, "substring")
    end = len(s) if end is None else end
    if start < 0 or end > len(s) or start > end:
        raise CelError(f"index out of range: {start}")
    return s[start:end]


def _char_at(s: Any, i: Any) -> str:
    s = _need(s, str, "charAt")
    if i < 0 or i > len(s):
        raise CelError(f"index out of range: {i}")
    return s[i : i + 1]


def _reverse(s: Any) -> str:
    return _need(s, str, "reverse")[::-1]


def _numbers(items: Any, name: str) -> list[Any]:
    return list(_need(items, list, name))


def _is_sorted(items: Any) -> bool:
    values = _numbers(items, "isSorted")
    return all(cel_compare(a, b) <= 0 for a, b in itertools.pairwise(values))


def _sum(items: Any) -> Any:
    values = _numbers(items, "sum")
    total = sum(values, 0)
    return check_int(total) if isinstance(total, int) else total


def _extreme(pick: int) -> Callable[..., Any]:
    def choose(items: Any, *more: Any) -> Any:
        values = [items, *more] if more or not isinstance(items, list) else list(items)
        if not values:
            raise CelError("min/max of an empty list")
        best = values[0]
        for value in values[1:]:
            if cel_compare(value, best) == pick:
                best = value
        return best

    return choose


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def duration(text: Any) -> timedelta:
    if isinstance(text, timedelta):
        return text
    body = _need(text, str, "duration")
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    if body == "0":
        return timedelta(0)
    parts = _DURATION_PART.findall(body)
    if not parts or "".join(n + u for n, u in parts) != body:
        raise CelError(f"invalid duration: {text}")
    return sign * timedelta(seconds=sum(float(n) * _DURATION_UNITS[u] for n, u in parts))


def timestamp(text: Any) -> datetime:
    if isinstance(text, datetime):
        return text
    if isinstance(text, int) and not isinstance(text, bool):
        return datetime.fromtimestamp(text, UTC)
    try:
        value = datetime.fromisoformat(_need(text, str, "timestamp").replace("z", "Z"))
    except ValueError:
        raise CelError(f"invalid timestamp: {text}") from None
    if value.tzinfo is None:
        raise CelError(f"invalid timestamp: {text}")
    return value


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise CelError("no such overload: int(bool)")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or abs(value) >= 2**63:
            raise CelError("integer overflow")
        return int(value)
    if isinstance(value, str):
        try:
            return check_int(int(value, 10))
        except ValueError:
            raise CelError(f"cannot convert {value!r} to int") from None
    if isinstance(value, datetime):
        return int(value.timestamp())
    raise CelError(f"no such overload: int({type_name(value)})")


def _to_double(value: Any) -> float:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            raise CelError(f"cannot convert {value!r} to double") from None
    raise CelError(f"no such overload: double({type_name(value)})")


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)  # cel-go formats doubles with strconv's 'g', shortest
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g}s"
    if isinstance(value, IP | CIDR):
        return str(value)
    raise CelError(f"no such overload: string({type_name(value)})")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "True", "TRUE", "t", "1"):
        return True
    if value in ("false", "False", "FALSE", "f", "0"):
        return False
    raise CelError(f"no such overload: bool({type_name(value)})")


def _value(opt: Any) -> Any:
    _need(opt, CelOptional, "value")
    if not opt.present:
        raise CelError("optional.none() dereference")
    return opt.value


def _or_value(opt: Any, default: Any) -> Any:
    _need(opt, CelOptional, "orValue")
    return opt.value if opt.present else default


def _or(opt: Any, other: Any) -> Any:
    _need(opt, CelOptional, "or")
    return opt if opt.present else other


def optional_constructor(name: str, args: list[Callable]) -> Callable[[dict[str, Any]], Any]:
    if name == "of" and len(args) == 1:
        return lambda env: CelOptional(True, args[0](env))
    if name == "none" and not args:
        return lambda env: CelOptional(False)
    if name == "ofNonZeroValue" and len(args) == 1:
        return lambda env: _non_zero(args[0](env))
    raise CelError(f"undeclared reference to 'optional.{name}'")


def _non_zero(value: Any) -> CelOptional:
    return CelOptional(value not in (None, "", 0, False, b"") and value != [] and value != {}, value)


_TIME_GETTERS = {
    "getFullYear": lambda t: t.year,
    "getMonth": lambda t: t.month - 1,
    "getDayOfMonth": lambda t: t.day - 1,
    "getDate": lambda t: t.day,
    "getDayOfWeek": lambda t: (t.weekday() + 1) % 7,
    "getHours": lambda t: t.hour if isinstance(t, datetime) else int(t.total_seconds() // 3600),
    "getMinutes": lambda t: t.minute if isinstance(t, datetime) else int(t.total_seconds() // 60),
    "getSeconds": lambda t: t.second if isinstance(t, datetime) else int(t.total_seconds()),
}


def _time_getter(getter: Callable[[Any], int]) -> Callable[[Any], int]:
    return lambda value: getter(_need(value, (datetime, timedelta), "time"))


METHODS: dict[str, Callable[..., Any]] = {
    "size": size,
    "contains": _contains,
    "startsWith": _starts,
    "endsWith": _ends,
    "matches": _matches,
    "find": _find,
    "findAll": _find_all,
    "lowerAscii": _lower_ascii,
    "upperAscii": _upper_ascii,
    "split": _split,
    "join": _join,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "trim": _trim,
    "replace": _replace,
    "substring": _substring,
    "charAt": _char_at,
    "reverse": _reverse,
    "isSorted": _is_sorted,
    "sum": _sum,
    "min": _extreme(-1),
    "max": _extreme(1),
    **URL_METHODS,
    **NET_METHODS,
    "hasValue": lambda opt: _need(opt, CelOptional, "hasValue").present,
    "value": _value,
    "orValue": _or_value,
    "or": _or,
    **{name: _time_getter(getter) for name, getter in _TIME_GETTERS.items()},
}

FUNCTIONS: dict[str, Callable[..., Any]] = {
    "size": size,
    "matches": _matches,
    **URL_FUNCTIONS,
    **NET_FUNCTIONS,
    "int": _to_int,
    "uint": _to_int,
    "double": _to_double,
    "string": _to_string,
    "bool": _to_bool,
    "bytes": lambda v: v if isinstance(v, bytes) else _need(v, str, "bytes").encode(),
    "duration": duration,
    "timestamp": timestamp,
    "dyn": lambda v: v,
}
