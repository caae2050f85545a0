"""The Kubernetes CEL URL library: isURL(), url() and the getters, with Go's url.ParseRequestURI rules."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from qxo.admission.cellib import CelError
from qxo.admission.cellib import need as _need


class URL:
    """The value url() returns; Kubernetes exposes its parts through getters."""

    __slots__ = ("host", "path", "port", "query", "scheme")

    def __init__(self, text: str) -> None:
        parsed = parse_request_uri(text)
        if parsed is None:
            raise CelError(f"URL parse error during conversion from string: {text}")
        self.scheme, self.host, self.port, self.path, self.query = parsed

    def __eq__(self, other: object) -> bool:
        return isinstance(other, URL) and (self.scheme, self.host, self.path) == (other.scheme, other.host, other.path)

    __hash__ = None  # type: ignore[assignment]


_BAD_ESCAPE = re.compile(r"%(?![0-9a-fA-F]{2})")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_URL = re.compile(r"^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#.*)?$")
_HOST = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::(\d*))?$")


@functools.lru_cache(maxsize=4096)
def parse_request_uri(text: str) -> tuple[str, str, str, str, str] | None:
    """Go's url.ParseRequestURI: an absolute URI or an absolute path, with a well-formed authority."""
    if not isinstance(text, str) or _CONTROL.search(text):
        return None
    match = _URL.match(text)
    if match is None:
        return None
    scheme, authority, path, query = match.group(1) or "", match.group(2), match.group(3), match.group(4) or ""
    if not scheme and not text.startswith("/"):
        return None
    if scheme and authority is None and not path.startswith("/") and path:
        return (scheme, "", "", path, query)  # opaque, like mailto:someone
    host = ""
    if authority is not None:
        userless = authority.rsplit("@", 1)[-1]
        host_match = _HOST.match(userless)
        if host_match is None:
            return None
        host = userless
    if _BAD_ESCAPE.search(text):
        return None
    hostname_port = _HOST.match(host) if host else None
    port = (hostname_port.group(2) or "") if hostname_port else ""
    return (scheme, host, port, path, query)


def _is_url(text: Any) -> bool:
    return parse_request_uri(_need(text, str, "isURL")) is not None


def _url_part(name: str, pick: Callable[[URL], Any]) -> Callable[[Any], Any]:
    def getter(value: Any) -> Any:
        return pick(_need(value, URL, name))

    return getter


def _hostname(url: URL) -> str:
    host = url.host
    if url.port or host.endswith(":"):
        host = host.rsplit(":", 1)[0]
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


URL_METHODS: dict[str, Callable[..., Any]] = {
    "getScheme": _url_part("getScheme", lambda u: u.scheme),
    "getHost": _url_part("getHost", lambda u: u.host),
    "getHostname": _url_part("getHostname", _hostname),
    "getPort": _url_part("getPort", lambda u: u.port),
    "getEscapedPath": _url_part("getEscapedPath", lambda u: u.path),
    "getQuery": _url_part("getQuery", lambda u: parse_qs(u.query, keep_blank_values=True)),
}

URL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "isURL": _is_url,
    "url": lambda text: URL(_need(text, str, "url")),
}
