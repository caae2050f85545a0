"""The brand client's side of the trust boundary: the allowlist before every request, no link-local or metadata
address at connect time, and a 3xx turned into an error instead of being followed."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from qxo.qualtrics import errors
from qxo.qualtrics.config import BrandConfig
from qxo.trust.endpoints import InvalidEndpoint, NotAllowed, check_resolved, parse_url
from qxo.trust.remote_text import quoted, remote_text


def refuse_unless_allowed(config: BrandConfig, url: str) -> None:
    """Raise EndpointNotAllowed unless the allowlist allows `url` (checked before any connection)."""
    try:
        config.allowlist.for_service("qualtrics").check_url(url)
    except (NotAllowed, InvalidEndpoint) as error:
        raise errors.EndpointNotAllowed(str(error)) from None


class _GuardedResolver(AbstractResolver):
    """Resolves as aiohttp would, then refuses a name that resolves to a link-local or metadata address.

    aiohttp connects only to the addresses its resolver returns, so this check and the connection
    see the same answer (a second lookup could be answered differently). IP literals never reach a
    resolver: the allowlist check refuses those before the request.
    """

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            try:
                check_resolved(host, result["host"])
            except NotAllowed as error:
                raise errors.EndpointNotAllowed(str(error)) from None
        return results

    async def close(self) -> None:
        await self._inner.close()


def guarded_connector() -> aiohttp.TCPConnector:
    """A connector whose every connection has passed `_GuardedResolver` (create it inside the event loop)."""
    return aiohttp.TCPConnector(resolver=_GuardedResolver())


def redirect_error(config: BrandConfig, method: str, url: str, status: int, location: Any) -> errors.Redirected:
    """The error for a 3xx: names the endpoint and what it asked for; the credentials stay where they were."""
    try:
        endpoint = str(parse_url(url))
    except InvalidEndpoint:
        endpoint = config.root_url
    path = remote_text(urlsplit(url).path, 100)
    target = f" to {quoted(location, 100)}" if location else ""
    return errors.Redirected(f"{endpoint} answered {method} {path} with a redirect (HTTP {status}){target}; "
                             "qxo never follows redirects", status=status)
