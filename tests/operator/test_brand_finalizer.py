"""A brand goes last: its finalizer waits while any object may still need its connection, decided exactly.

After a restart, a brand deleted while the operator was down can be finalized before the watches have
listed its dependents. The runtime then asks the API server (here a lister standing for it) instead of
trusting an index that is still empty. Runtime-level, against a real brand sandbox for the connection.
"""

from __future__ import annotations

import pytest

from qxo.kube.secrets import ReadForbidden, SecretData
from qxo.reconcile.conditions import State
from qxo.reconcile.registry import KINDS
from qxo.reconcile.runtime import Runtime
from qxo.sandbox.brand import BrandSandbox
from qxo.trust.endpoints import Allowlist

NS = "qxo-demo"
DELETED = {"deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": ["qxo.dev/finalizer"]}


class TokenSecret:
    def __init__(self, token: str) -> None:
        self.token = token

    async def secret(self, namespace, name):
        return SecretData(name, "1", {"token": self.token})


class APIServer:
    """Lists qxo objects by plural, as the API server would; counts the lists asked for."""

    def __init__(self, **objects: list[dict]) -> None:
        self.objects = objects
        self.lists: list[str] = []
        self.forbidden = False

    async def list_objects(self, plural: str, namespace: str | None) -> list[dict]:
        self.lists.append(plural)
        if self.forbidden:
            raise ReadForbidden(f"the operator may not list {plural} in namespace {namespace} (HTTP 403)")
        return [body for body in self.objects.get(plural, []) if body["metadata"]["namespace"] == namespace]


def body(name: str, spec: dict, status: dict | None = None, **meta) -> dict:
    return {"metadata": {"namespace": NS, "name": name, "generation": 1, **meta}, "spec": spec,
            "status": status or {}}


def brand(url: str) -> dict:
    return body("acme", {"brandId": "acme", "baseURL": url,
                         "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "acme-api-token"}}},
                **DELETED)


INSTALL = body("webservice", {"brandRef": {"name": "acme"}, "extensionId": "webservice"}, **DELETED)
# An account whose install went first: it leads to no brand, but made an account somewhere.
ORPHANED_ACCOUNT = body("ticketing", {"installRef": {"name": "gone"}, "displayName": "Acme ticketing API",
                                      "credentials": {"secretRef": {"name": "ticketing-credentials"}}},
                        {"externalId": "EA_1"}, **DELETED)


@pytest.fixture
async def sandbox(tmp_path):
    server = BrandSandbox(str(tmp_path / "brand.db"))
    await server.start()
    yield server
    await server.stop()


def runtime(sandbox: BrandSandbox, api: APIServer) -> Runtime:
    return Runtime(TokenSecret(sandbox.admin_token), kinds=KINDS, lister=api,
                   allowlist=Allowlist.with_defaults(["127.0.0.1"]))


@pytest.mark.parametrize("dependent", [INSTALL, ORPHANED_ACCOUNT], ids=["leads-to-it", "made-something"])
async def test_a_brand_finalized_before_the_watches_listed_its_dependents_waits_for_them(sandbox, dependent):
    plural = "extensioninstalls" if dependent is INSTALL else "extensionaccounts"
    api = APIServer(**{plural: [dependent]})
    rt = runtime(sandbox, api)
    try:
        rt.saw("QualtricsBrand", brand(sandbox.base_url))  # the only object the watches have shown so far

        outcome = await rt.finalize("QualtricsBrand", brand(sandbox.base_url))

        assert (outcome.state, outcome.verdict.reason) == (State.WAITING, "WaitingForDependents")
        assert f"{dependent['metadata']['name']}" in outcome.verdict.message
        assert rt.connected(next(iter(rt.sessions))) is not None  # connected, for the dependents to clean up
        assert plural in api.lists

        api.objects.clear()  # the dependents' finalizers ran: the API server lists none
        assert (await rt.finalize("QualtricsBrand", brand(sandbox.base_url))).state is State.READY
        assert rt.sessions == {}
    finally:
        await rt.close()


async def test_dependents_the_watch_shows_are_waited_for_without_asking_the_api_server(sandbox):
    api = APIServer()
    rt = runtime(sandbox, api)
    try:
        rt.saw("QualtricsBrand", brand(sandbox.base_url))
        rt.saw("ExtensionInstall", INSTALL)
        outcome = await rt.finalize("QualtricsBrand", brand(sandbox.base_url))
        assert outcome.verdict.reason == "WaitingForDependents" and api.lists == []
    finally:
        await rt.close()


async def test_a_brand_that_cannot_list_its_dependents_does_not_go(sandbox):
    api = APIServer()
    api.forbidden = True
    rt = runtime(sandbox, api)
    try:
        rt.saw("QualtricsBrand", brand(sandbox.base_url))
        outcome = await rt.finalize("QualtricsBrand", brand(sandbox.base_url))
        assert (outcome.state, outcome.verdict.reason) == (State.WAITING, "WaitingForDependents")
        assert "HTTP 403" in outcome.verdict.message
    finally:
        await rt.close()
