"""The brand context of `qxo plan` and `qxo export`: where the brand is and the token to read it with.

A context file has the shape of the brand sandbox's `--credentials-out`: `base_url` (or
`datacenter`), `brand_id`, and `token` (or `tokens`, the first being used), plus `ca_bundle`, a PEM
file (relative to the context file) for a brand behind a private CA. The token may come
from the environment variable QXO_BRAND_TOKEN instead. The token is held as a SecretStr and is
never printed; errors name the field, never its value.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from qxo.qualtrics import BrandClient, BrandConfig, errors
from qxo.reconcile.session import BrandSession
from qxo.trust.endpoints import DEFAULT, Allowlist, InvalidEndpoint, NotAllowed

TOKEN_ENV = "QXO_BRAND_TOKEN"


class GitopsError(Exception):
    """A failure the command reports in one line and exits 1 for (bad context, unreachable brand, ...)."""


@dataclass(frozen=True)
class BrandContext:
    base_url: str | None = None
    datacenter: str | None = None
    brand_id: str | None = None
    token: SecretStr | None = field(default=None, repr=False)
    ca_bundle: str | None = None

    def root_url(self) -> str | None:
        if self.base_url:
            return self.base_url.rstrip("/")
        if self.datacenter:
            return f"https://{self.datacenter}.qualtrics.com"
        return None


def load_context(path: str | None, environ: dict[str, str] | None = None) -> BrandContext:
    """The context from `path` (if given) with the token from the file or QXO_BRAND_TOKEN."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise GitopsError(f"--brand-context: cannot read {path} ({error.strerror or type(error).__name__})") \
                from None
        except ValueError:
            raise GitopsError(f"--brand-context: {path} is not a JSON document") from None
        if not isinstance(data, dict):
            raise GitopsError(f"--brand-context: {path} must hold a JSON object")
    token = data.get("token")
    if token is None and isinstance(data.get("tokens"), dict) and data["tokens"]:
        token = next(iter(data["tokens"].values()))  # the sandbox lists the brand admin first
    if token is None:
        token = environ.get(TOKEN_ENV) or None
    if token is not None and not isinstance(token, str):
        raise GitopsError("--brand-context: token must be a string")
    for name in ("base_url", "datacenter", "brand_id", "ca_bundle"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise GitopsError(f"--brand-context: {name} must be a string")
    ca_bundle = data.get("ca_bundle")
    if ca_bundle is not None:
        bundle = Path(str(path)).parent / ca_bundle
        if not bundle.is_file():
            raise GitopsError(f"--brand-context: ca_bundle: no such file {bundle}")
        ca_bundle = str(bundle)
    return BrandContext(base_url=data.get("base_url"), datacenter=data.get("datacenter"),
                        brand_id=data.get("brand_id"), token=SecretStr(token) if token else None,
                        ca_bundle=ca_bundle)


def brand_config(context: BrandContext, *, base_url: str | None, datacenter: str | None, brand_id: str,
                 requests_per_minute: int = 3000, allowlist: Allowlist = DEFAULT,
                 from_context: bool = False) -> BrandConfig:
    """A client configuration; refuses to send the token anywhere but where the context says the brand is.

    In a pull-request check the manifests are the author's: without this, changing `baseURL`
    would send the brand token to a host of their choosing. The endpoint must also be on the
    allowlist the operator applies (its defaults plus `--allow-endpoint`).
    """
    url = base_url or (f"https://{datacenter}.qualtrics.com" if datacenter else None)
    if url is not None:
        try:
            allowlist.for_service("qualtrics").check_url(url)
        except (NotAllowed, InvalidEndpoint) as refused:
            names = ("--brand-context: base_url", "--brand-context: datacenter") if from_context \
                else ("spec.baseURL", "spec.datacenter")
            raise GitopsError(f"{names[0] if base_url else names[1]}: {refused}") from None
    if context.token is None:
        raise GitopsError(f"--brand-context: no token (give one in the file or in {TOKEN_ENV})")
    if context.brand_id and context.brand_id != brand_id:
        raise GitopsError(f"spec.brandId: the manifests name brand {brand_id!r} but the brand context is for "
                          f"{context.brand_id!r}")
    try:
        config = BrandConfig(base_url=base_url, datacenter=None if base_url else datacenter, brand_id=brand_id,
                             api_token=context.token, requests_per_minute=requests_per_minute,
                             ca_bundle=context.ca_bundle, allowlist=allowlist,
                             max_attempts=4, retry_budget_seconds=30.0)
    except ValidationError as error:
        first = error.errors()[0]
        raise GitopsError(f"spec.baseURL: {first['msg'].removeprefix('Value error, ')}") from None
    expected = context.root_url()
    if expected is not None and expected != config.root_url:
        raise GitopsError(f"spec.baseURL: the manifests point at {config.root_url} but the brand context is for "
                          f"{expected}; refusing to send the token there")
    return config


class WriteRefused(GitopsError):
    """Raised if plan or export ever tried to write: they must only read."""


def _refuse(name: str):
    async def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise WriteRefused(f"internal error: {name} was called, but plan and export never write to the brand")
    refuse.__name__ = name
    return refuse


class ReadOnlyBrandClient(BrandClient):
    """The operator's client with every write disabled, so a bug here cannot change a brand."""

    install = _refuse("install")
    uninstall = _refuse("uninstall")
    put_domains = _refuse("put_domains")
    put_enablement = _refuse("put_enablement")
    create_account = _refuse("create_account")
    update_account = _refuse("update_account")
    delete_account = _refuse("delete_account")
    put_access = _refuse("put_access")
    create_salesforce_connection = _refuse("create_salesforce_connection")
    update_salesforce_connection = _refuse("update_salesforce_connection")
    delete_salesforce_connection = _refuse("delete_salesforce_connection")


@contextlib.asynccontextmanager
async def brand_session(config: BrandConfig) -> AsyncIterator[BrandSession]:
    """A read-only session on the brand, identity checked as the operator checks it, closed on exit."""
    client = ReadOnlyBrandClient(config)
    try:
        try:
            identity = await client.whoami()
        except errors.AuthenticationFailed as denied:
            raise GitopsError(f"--brand-context: the brand refused the token "
                              f"({denied.error_code or denied.status})") from None
        except errors.BrandError as error:
            raise GitopsError(f"cannot reach the brand at {config.root_url}: {error}") from None
        if identity.brand_id != config.brand_id:
            raise GitopsError(f"spec.brandId: the token belongs to brand {identity.brand_id!r}, "
                              f"not {config.brand_id!r}")
        client.share_rate_limit()
        try:
            yield BrandSession(client, identity, fingerprint=())
        except errors.BrandError as error:
            raise GitopsError(f"reading the brand at {config.root_url} failed: {error}") from None
    finally:
        await client.close()
