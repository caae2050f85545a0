"""BrandSandbox: start and stop the sandbox brand from Python (tests, demo, benchmarks) or a thread."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from qxo.sandbox.brand import audit
from qxo.sandbox.brand import seed as seeding
from qxo.sandbox.brand.app import build_app
from qxo.sandbox.brand.faults import Faults, RateLimit, parse_spec
from qxo.sandbox.brand.store import Store
from qxo.sandbox.threaded import serving_in_thread


class BrandSandbox:
    """A real HTTP brand on 127.0.0.1, persisted in SQLite at `db_path` (state survives restarts)."""

    def __init__(self, db_path: str, *, latency_ms: float = 0, rate_limit: int | None = None,
                 faults: str | dict | None = None, seed: int = 0, extra_extensions: int = 0,
                 oauth_token_ttl: float = 3600, max_salesforce_connections: int | None = None,
                 audit_entries: int = audit.DEFAULT_KEEP) -> None:
        if rate_limit is not None and rate_limit < 1:
            raise ValueError("rate_limit: requests per minute must be at least 1")
        if latency_ms < 0:
            raise ValueError("latency_ms: must not be negative")
        if audit_entries < 1:
            raise ValueError("audit_entries: the audit log keeps at least one entry")
        self.audit_entries = audit_entries  # the audit log is a ring of this many entries
        self.db_path = str(db_path)
        self.latency_ms = latency_ms
        self.rate_limit = RateLimit(rate_limit) if rate_limit else None
        self.faults = Faults(parse_spec(faults) if isinstance(faults, str) else faults, seed=seed)
        self.seed = seed
        self.extra_extensions = extra_extensions
        self.oauth_token_ttl = oauth_token_ttl
        if max_salesforce_connections is not None and max_salesforce_connections < 0:
            raise ValueError("max_salesforce_connections: must not be negative")
        # No Qualtrics page states a per-user limit: off unless a test wants a brand that has one.
        self.max_salesforce_connections = max_salesforce_connections
        self.brand_id = seeding.BRAND_ID
        self.store = Store(self.db_path)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.tokens: dict[str, str] = {}
        self.oauth_clients: dict[str, dict[str, str]] = {}

    async def start(self, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None) -> None:
        """Listen on host:port (0: a free port); with `ssl_context` the brand speaks https."""
        await asyncio.get_running_loop().run_in_executor(None, self.store.open_sync)
        await self.store.run(seeding.seed_if_empty, self.seed, self.extra_extensions)
        await self.store.run(audit.initialize)
        creds = await self.store.run(seeding.credentials)
        self.tokens, self.oauth_clients = creds["tokens"], creds["oauth_clients"]
        # Hanging "timeout" faults must not hold shutdown: cancel in-flight handlers after a moment.
        self._runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=ssl_context)
        await site.start()
        bound_port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"{'https' if ssl_context else 'http'}://{host}:{bound_port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await asyncio.get_running_loop().run_in_executor(None, self.store.close)

    def credentials(self) -> dict[str, Any]:
        """The `--credentials-out` document: base URL, brand id, tokens (brand admin first), OAuth client."""
        return {"base_url": self.base_url, "brand_id": self.brand_id, "tokens": dict(self.tokens),
                "oauth_clients": dict(self.oauth_clients)}

    @property
    def admin_token(self) -> str:
        return self.tokens[seeding.ADMIN]

    @classmethod
    @contextlib.contextmanager
    def run_in_thread(cls, db_path: str, **options: Any) -> Iterator[BrandSandbox]:
        """Run on its own event loop in a daemon thread; yields the started sandbox."""
        sandbox = cls(db_path, **options)
        with serving_in_thread(sandbox.start, sandbox.stop, "brand-sandbox"):
            yield sandbox

