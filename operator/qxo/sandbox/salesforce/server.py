"""The sandbox org's server: one SalesforceSandbox over HTTPS with a CA from trustme (see the package)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import ssl
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import trustme
from aiohttp import web

from qxo.sandbox.mergepatch import merge_patch
from qxo.sandbox.salesforce.app import OrgState, build_app
from qxo.sandbox.salesforce.org import default_org, validate

__all__ = ["SalesforceSandbox"]


class SalesforceSandbox:
    """One org, one integration user and one connected app, served over HTTPS on 127.0.0.1."""

    def __init__(self, org: dict | None = None, token_lifetime_seconds: float = 3600, ca_path: str | None = None):
        seeded = copy.deepcopy(org) if org is not None else default_org()
        seeded.setdefault("knobs", {})["tokenLifetimeSeconds"] = token_lifetime_seconds
        validate(seeded)
        self.state = OrgState(org=seeded)
        self.refresh_token = self.state.mint_refresh_token()
        self._ca = trustme.CA()
        self._tmp = tempfile.TemporaryDirectory(prefix="qxo-sf-sandbox-")
        self.ca_path = ca_path or str(Path(self._tmp.name) / "ca.pem")
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def __repr__(self) -> str:
        return f"SalesforceSandbox(instance_url={self.instance_url!r})"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(host, "localhost").configure_cert(context)
        self._ca.cert_pem.write_to_path(self.ca_path)
        self._runner = web.AppRunner(build_app(self.state), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # the port the OS chose for port=0
        self.state.base_url = f"https://{host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._tmp.cleanup()

    @property
    def login_url(self) -> str:
        return self.state.base_url

    @property
    def instance_url(self) -> str:
        return self.state.base_url

    @property
    def credentials(self) -> dict:
        """What `--credentials-out` writes: where to log in and the seeded user's OAuth credentials."""
        return {
            "login_url": self.login_url,
            "instance_url": self.instance_url,
            "client_id": self.state.client_id,
            "client_secret": self.state.client_secret,
            "refresh_token": self.refresh_token,
        }

    @property
    def org(self) -> dict:
        return copy.deepcopy(self.state.org)

    def patch_org(self, patch: dict) -> dict:
        """Apply a JSON merge patch to the org, as PATCH /_sandbox/org does."""
        candidate = merge_patch(copy.deepcopy(self.state.org), patch)
        validate(candidate)
        self.state.org = candidate
        return self.org

    def revoke_refresh_tokens(self, token: str | None = None) -> None:
        for key in [token] if token else list(self.state.refresh_tokens):
            self.state.refresh_tokens[key]["revoked"] = True

    def mint_refresh_token(self) -> str:
        return self.state.mint_refresh_token()

    def expire_access_tokens(self) -> None:
        self.state.access_tokens.clear()

    @property
    def counters(self) -> dict:
        return dict(self.state.counters)

    def write_credentials(self, path: str) -> None:
        Path(path).write_text(json.dumps(self.credentials, indent=2) + "\n")
        Path(path).chmod(0o600)

    @classmethod
    @contextlib.contextmanager
    def run_in_thread(cls, host: str = "127.0.0.1", port: int = 0, **kwargs) -> Iterator[SalesforceSandbox]:
        """Serve from a private event loop in a daemon thread; stopped when the block exits."""
        sandbox = cls(**kwargs)
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        thread = threading.Thread(target=loop.run_forever, name="qxo-salesforce-sandbox", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(sandbox.start(host, port), loop).result(timeout=30)
            ready.set()
            yield sandbox
        finally:
            if ready.is_set():
                asyncio.run_coroutine_threadsafe(sandbox.stop(), loop).result(timeout=30)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.close()
