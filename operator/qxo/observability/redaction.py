"""Masks secrets in log output: values under secret-bearing keys, and registered secret values.

A last line of defence, not a licence: code must still never log a secret. What it catches:
values of secret-named keys in structured data (any depth) and in text (`key=value`,
`key: value`, `"key": "value"`, `Authorization: Bearer …`), and every occurrence of a value
registered with `register` (also in its JSON-escaped and URL-encoded forms).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

MASK = "***"
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words and numbers everywhere
MAX_SECRETS = 4096

# Keys whose values are secrets, compared case-insensitively with "-" and "_" removed.
_SECRET_KEYS = frozenset({
    "authorization", "proxyauthorization", "cookie", "setcookie", "password", "passwd", "passphrase",
    "secret", "clientsecret", "credentials", "privatekey", "sessionid", "apikey", "xapitoken",
})
_SECRET_SUFFIXES = ("token", "secret", "password", "passwd", "apikey", "privatekey")

_KEY = r"[A-Za-z0-9_-]*(?:token|secret|password|passwd|passphrase|api[_-]?key|private[_-]?key|session[_-]?id)" \
       r"|(?:proxy-)?authorization|(?:set-)?cookie|credentials"
_VALUE = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|(?:(?:Bearer|Basic|Token|OAuth)\s+)?[^\s\"'&,;)}\]]+"
_KEY_VALUE = re.compile(rf"(?i)(?<![A-Za-z0-9_-])(?P<key>{_KEY})(?P<sep>[\"']?\s*[:=]\s*)(?P<value>{_VALUE})")
# A credential-looking word (8+ characters, at least one digit or symbol) after an auth scheme,
# so "Bearer token refreshed" stays readable while "Bearer eyJ0eXAi.x9" is masked.
_BEARER = re.compile(r"(?i)\b(?P<scheme>Bearer|Basic)\s+(?=[A-Za-z]*[0-9._~+/=-])(?P<value>[A-Za-z0-9._~+/=-]{8,})")


def is_secret_key(key: object) -> bool:
    normal = str(key).lower().replace("-", "").replace("_", "")
    return normal in _SECRET_KEYS or normal.endswith(_SECRET_SUFFIXES)


class Redactor:
    def __init__(self) -> None:
        self._values: dict[str, None] = {}  # insertion-ordered set, so the oldest go first
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def register(self, values: Iterable[object]) -> None:
        """Mask these exact values wherever they appear from now on."""
        with self._lock:
            for value in values:
                if value is None:
                    continue
                text = value if isinstance(value, str) else str(value)
                if len(text) < MIN_SECRET_LENGTH:
                    continue
                for form in (text, json.dumps(text)[1:-1], quote(text, safe="")):
                    self._values.pop(form, None)
                    self._values[form] = None
            while len(self._values) > MAX_SECRETS:
                del self._values[next(iter(self._values))]
            # Longest first, so a secret containing another registered one is masked whole.
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, text: str) -> str:
        """Mask key=value pairs with secret keys, bearer credentials and registered values."""
        text = self.values(text)
        text = _KEY_VALUE.sub(_mask_value, text)
        return _BEARER.sub(lambda m: f"{m['scheme']} {MASK}", text)

    def values(self, text: str) -> str:
        """Mask registered values only (safe on already-serialised output)."""
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern is not None else text

    def data(self, value: Any, *, depth: int = 0) -> Any:
        """A JSON-ready copy of `value` with secret-keyed entries masked and strings redacted."""
        if depth > 20:
            return MASK  # deeper than any log extra should be; refuse rather than recurse forever
        if isinstance(value, str):
            return self.text(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Mapping):
            return {self.values(str(k)): MASK if is_secret_key(k) else self.data(v, depth=depth + 1)
                    for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.data(v, depth=depth + 1) for v in value]
        return self.text(str(value))


def _mask_value(match: re.Match[str]) -> str:
    value = match["value"]
    quote_char = value[0] if value[:1] in ("'", '"') else ""
    return f"{match['key']}{match['sep']}{quote_char}{MASK}{quote_char}"
