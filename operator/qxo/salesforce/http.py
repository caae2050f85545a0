"""The one requests.Session per connection: CA bundle, default timeout, the endpoint allowlist, no redirects.

simple-salesforce takes this session, so queries, describes, the token endpoint and introspection all
go through the same adapter: it trusts the configured CA bundle (the sandbox's CA, or a corporate
TLS-inspection CA on real networks), refuses any URL the operator's allowlist does not allow before a
connection is made, refuses a connection to a link-local or metadata address, and turns a 3xx into an
error instead of following it (requests would re-send the form, refresh token and client secret
included, to wherever the redirect points).
"""

from __future__ import annotations

import contextlib
import socket

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from qxo.salesforce.errors import EndpointNotAllowed, Redirected
from qxo.trust.endpoints import DEFAULT, Allowlist, InvalidEndpoint, NotAllowed, check_resolved, parse_url
from qxo.trust.remote_text import quoted, remote_text


class _GuardedConnection:
    """Refuses to connect where a name resolves to a link-local or metadata address.

    The addresses are checked when resolved (no handshake with a refused one) and, since urllib3
    resolves again to connect, the peer of the socket it made is checked before anything is sent.
    """

    _dns_host: str
    port: int

    def _new_conn(self) -> socket.socket:
        with contextlib.suppress(OSError):  # resolution failures are urllib3's to report
            for *_, address in socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM):
                _check_address(self._dns_host, str(address[0]))
        sock = super()._new_conn()  # type: ignore[misc]
        try:
            _check_address(self._dns_host, str(sock.getpeername()[0]))
        except EndpointNotAllowed:
            sock.close()
            raise
        return sock


def _check_address(host: str, address: str) -> None:
    try:
        check_resolved(host, address)
    except NotAllowed as error:
        raise EndpointNotAllowed(str(error)) from None


class _GuardedHTTPConnection(_GuardedConnection, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


_GUARDED_POOLS = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


class _PinnedAdapter(HTTPAdapter):
    """Applies the allowlist, the configured CA bundle and a default timeout to every request; refuses 3xx.

    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override `Session.verify`, so a configured
    bundle is enforced here, at send time; and simple-salesforce does not pass a timeout on every
    call, while a hung socket must not hang a reconcile.
    """

    def __init__(self, ca_bundle: str | None, timeout: float, allowlist: Allowlist):
        super().__init__(max_retries=0)
        self._ca_bundle = ca_bundle
        self._timeout = timeout
        self._allowlist = allowlist

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[override]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_GUARDED_POOLS)

    def proxy_manager_for(self, *args, **kwargs):  # type: ignore[override]
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = dict(_GUARDED_POOLS)
        return manager

    def send(self, request, **kwargs):  # type: ignore[override]
        try:
            endpoint = self._allowlist.check_url(request.url)
        except (NotAllowed, InvalidEndpoint) as error:
            raise EndpointNotAllowed(str(error)) from None
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        if self._ca_bundle:
            kwargs["verify"] = self._ca_bundle
        response = super().send(request, **kwargs)
        if 300 <= response.status_code < 400:
            location = response.headers.get("Location")
            response.close()
            path = remote_text(requests.utils.urlparse(request.url).path, 100)
            target = f" to {quoted(location, 100)}" if location else ""
            raise Redirected(f"{endpoint} answered {request.method} {path} with a redirect "
                             f"(HTTP {response.status_code}){target}; qxo never follows redirects")
        return response


def build_session(ca_bundle: str | None, timeout: float, allowlist: Allowlist = DEFAULT) -> requests.Session:
    session = requests.Session()
    session.verify = ca_bundle if ca_bundle else True
    session.max_redirects = 0  # the adapter refuses a 3xx before requests could follow it; this is belt and braces
    adapter = _PinnedAdapter(ca_bundle, timeout, allowlist.for_service("salesforce"))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def check_endpoint(allowlist: Allowlist, url: str, what: str) -> None:
    """Raise EndpointNotAllowed naming `what` unless `url` may be called."""
    try:
        allowlist.for_service("salesforce").check(parse_url(url))
    except (NotAllowed, InvalidEndpoint) as error:
        raise EndpointNotAllowed(f"{what}: {error}") from None
