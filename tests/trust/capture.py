"""Capture servers: real HTTP(S) servers on loopback that record every connection and every byte they receive.

The trust tests point qxo at them to prove what it does not do: connect where it may not, send a
Secret that did not opt in, follow a redirect with credentials. One server answers every request with
what its `answer` callable returns (a redirect to another capture server, a token response, an error).
Each connection carries one request (`Connection: close`), so connections and requests count alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import trustme


@dataclass
class Captured:
    """One request as it arrived: the raw bytes, and the request line, headers and body read from them."""

    raw: bytes
    method: str = ""
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | dict | list = b""

    def encode(self) -> bytes:
        body = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        headers = {"Content-Length": str(len(body)), "Connection": "close", **self.headers}
        if not isinstance(self.body, bytes):
            headers.setdefault("Content-Type", "application/json")
        head = f"HTTP/1.1 {self.status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return head.encode() + b"\r\n" + body


def redirect_to(location: str, status: int = 307) -> Callable[[Captured], Reply]:
    return lambda _request: Reply(status, {"Location": location})


class CaptureServer:
    """Records connections and requests; `url` is where it listens (http, or https with `tls`)."""

    def __init__(self, answer: Callable[[Captured], Reply] | None = None, *, tls: trustme.CA | None = None,
                 host: str = "127.0.0.1") -> None:
        self.answer = answer or (lambda _request: Reply(404))
        self.host = host
        self.tls = tls
        self.connections = 0
        self.requests: list[Captured] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def received(self) -> bytes:
        """Every byte of every request, for searching secret values in."""
        return b"".join(request.raw for request in self.requests)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError) as partial:
            data = getattr(partial, "partial", b"")
            if data:
                self.requests.append(Captured(data))
            writer.close()
            return
        request = _parse(head)
        length = int(request.headers.get("content-length", "0") or 0)
        request.body = await reader.readexactly(length) if length else b""
        request.raw = head + request.body
        self.requests.append(request)
        writer.write(self.answer(request).encode())
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await writer.drain()
            writer.close()
            await writer.wait_closed()

    async def _stop(self) -> None:
        """Stop listening and end the connections still open (a client that connected and went away)."""
        if self._server is not None:
            self._server.close()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _start(self) -> None:
        context = None
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls.issue_cert(self.host, "localhost").configure_cert(context)
        self._server = await asyncio.start_server(self._serve, self.host, 0, ssl=context)
        self.port = self._server.sockets[0].getsockname()[1]

    @classmethod
    @contextlib.contextmanager
    def running(cls, *args: Any, **kwargs: Any) -> Iterator[CaptureServer]:
        """Serve from a private event loop in a daemon thread until the block ends."""
        server = cls(*args, **kwargs)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="capture-server", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(server._start(), loop).result(timeout=10)
            yield server
        finally:
            asyncio.run_coroutine_threadsafe(server._stop(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()


def _parse(head: bytes) -> Captured:
    lines = head.decode("latin-1").split("\r\n")
    method, path, *_ = [*lines[0].split(" "), "", ""][:3]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return Captured(head, method, path, headers)
