"""The sandbox org's server: one SalesforceSandbox over HTTPS with a CA from trustme (see the package)."""

from __future__ import annotations

import contextlib
import copy
import json
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import trustme
from aiohttp import web

from qxo.sandbox.mergepatch import merge_patch
from qxo.sandbox.salesforce.app import build_app
from qxo.sandbox.salesforce.org import default_org, production_org, validate
from qxo.sandbox.salesforce.state import OrgState
from qxo.sandbox.threaded import serving_in_thread

__all__ = ["SalesforceSandbox"]


class SalesforceSandbox:
    """Two orgs behind one HTTPS URL on 127.0.0.1, as on one Salesforce instance: the primary org (`org`, a
    Sandbox org unless its `isSandbox` says otherwise) and its Production twin, each with its integration user;
    one connected app (consumer key and secret) serves both."""

    def __init__(self, org: dict | None = None, token_lifetime_seconds: float = 3600, ca_path: str | None = None,
                 production: dict | None = None):
        seeded = copy.deepcopy(org) if org is not None else default_org()
        twin = copy.deepcopy(production) if production is not None else production_org(seeded)
        for each in (seeded, twin):
            each.setdefault("knobs", {})["tokenLifetimeSeconds"] = token_lifetime_seconds
            validate(each)
        if twin["organizationId"] == seeded["organizationId"]:
            raise ValueError("production.organizationId: must differ from the primary org's")
        self.state = OrgState(orgs={seeded["organizationId"]: seeded, twin["organizationId"]: twin})
        self.production_org_id = twin["organizationId"]
        self.refresh_token = self.state.mint_refresh_token()
        self.production_refresh_token = self.state.mint_refresh_token(self.production_org_id)
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
        """What `--credentials-out` writes: where to log in, the connected app, and the primary org's integration
        user's refresh token; `production` holds the Production twin's org id and refresh token."""
        return {
            "login_url": self.login_url,
            "instance_url": self.instance_url,
            "client_id": self.state.client_id,
            "client_secret": self.state.client_secret,
            "refresh_token": self.refresh_token,
            "organization_id": self.state.primary_id,
            "production": {"organization_id": self.production_org_id, "refresh_token": self.production_refresh_token},
        }

    @property
    def org(self) -> dict:
        return copy.deepcopy(self.state.org)

    def org_of(self, organization_id: str) -> dict:
        return copy.deepcopy(self.state.orgs[organization_id])

    def patch_org(self, patch: dict, organization_id: str | None = None) -> dict:
        """Apply a JSON merge patch to the primary org (or the one named), as PATCH /_sandbox/org does."""
        target = organization_id or self.state.primary_id
        candidate = merge_patch(copy.deepcopy(self.state.orgs[target]), patch)
        validate(candidate)
        self.state.orgs[target] = candidate
        return copy.deepcopy(candidate)

    def patch_production(self, patch: dict) -> dict:
        return self.patch_org(patch, self.production_org_id)

    def revoke_refresh_tokens(self, token: str | None = None) -> None:
        for key in [token] if token else list(self.state.refresh_tokens):
            self.state.refresh_tokens[key]["revoked"] = True

    def mint_refresh_token(self, organization_id: str | None = None) -> str:
        return self.state.mint_refresh_token(organization_id)

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
        with serving_in_thread(lambda: sandbox.start(host, port), sandbox.stop, "qxo-salesforce-sandbox"):
            yield sandbox
