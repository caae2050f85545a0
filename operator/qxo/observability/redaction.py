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
# Distinct forms kept (the oldest go first). Each credential read adds up to three: at 10,000 objects the
# operator reads tens of thousands of values, and all of them must still be masked.
MAX_SECRETS = 65536

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
    """Masks registered values by a prefix index rather than one big regex alternation: a log line
    costs one dict probe per character whatever the number of secrets, and registering one more
    secret costs O(1), where recompiling an alternation of thousands of values cost a quarter of
    a second per registration and ~2 ms per line (measured at 2,400 values).

    Per prefix the index keeps the lengths of the values under it, not the values: a position is
    tried once per distinct length, so thousands of values sharing a prefix (JWTs all begin "eyJ")
    cost no more to find, or to add, than one."""

    def __init__(self) -> None:
        self._values: dict[str, None] = {}  # insertion-ordered set, so the oldest go first
        # What `values` reads without the lock while `register` writes: the masked forms (a set, only ever
        # added to or removed from whole), and per first MIN_SECRET_LENGTH characters, the lengths of
        # the forms under them, longest first (tuples replaced whole).
        self._masked: set[str] = set()
        self._lengths: dict[str, tuple[int, ...]] = {}
        self._counts: dict[tuple[str, int], int] = {}  # (prefix, length) -> forms under it
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
                    if form in self._values:
                        self._values.pop(form)  # re-registered: now the newest
                    else:
                        self._index(form)
                    self._values[form] = None
            while len(self._values) > MAX_SECRETS:
                oldest = next(iter(self._values))
                del self._values[oldest]
                self._unindex(oldest)

    def _index(self, form: str) -> None:
        prefix, length = form[:MIN_SECRET_LENGTH], len(form)
        count = self._counts.get((prefix, length), 0)
        self._counts[(prefix, length)] = count + 1
        if not count:
            # Longest first, so a secret containing another registered one is masked whole.
            self._lengths[prefix] = tuple(sorted((*self._lengths.get(prefix, ()), length), reverse=True))
        self._masked.add(form)

    def _unindex(self, form: str) -> None:
        prefix, length = form[:MIN_SECRET_LENGTH], len(form)
        self._masked.discard(form)
        count = self._counts.pop((prefix, length)) - 1
        if count:
            self._counts[(prefix, length)] = count
            return
        rest = tuple(n for n in self._lengths.get(prefix, ()) if n != length)
        if rest:
            self._lengths[prefix] = rest
        else:
            self._lengths.pop(prefix, None)

    def text(self, text: str) -> str:
        """Mask key=value pairs with secret keys, bearer credentials and registered values."""
        text = self.values(text)
        text = _KEY_VALUE.sub(_mask_value, text)
        return _BEARER.sub(lambda m: f"{m['scheme']} {MASK}", text)

    def values(self, text: str) -> str:
        """Mask registered values only (safe on already-serialised output): leftmost, longest match."""
        index, masked = self._lengths, self._masked
        if not index or len(text) < MIN_SECRET_LENGTH:
            return text
        pieces: list[str] = []
        start = position = 0
        last = len(text) - MIN_SECRET_LENGTH
        while position <= last:
            for length in index.get(text[position:position + MIN_SECRET_LENGTH], ()):
                if text[position:position + length] in masked:
                    pieces += (text[start:position], MASK)
                    position = start = position + length
                    break
            else:
                position += 1
        if not pieces:
            return text
        pieces.append(text[start:])
        return "".join(pieces)

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
