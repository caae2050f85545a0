"""The shared observation of a brand against the real brand sandbox: writes that land while it is
being read are kept, and accounts are found by natural key as the brand names them."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

import pytest

from qxo.qualtrics import BrandClient, BrandConfig
from qxo.qualtrics.models import Account
from qxo.reconcile import install
from qxo.reconcile.session import BrandSession, BrandState
from qxo.sandbox.brand import BrandSandbox
from qxo.trust.endpoints import Allowlist

ADMIN = "admin@acme.example"
STAMP = "2026-01-01T00:00:00Z"


@pytest.fixture
async def slow_brand(tmp_path):
    # Every call takes 150 ms, so an observation's three listings take long enough for a write to land
    # between its first page and its last.
    sb = BrandSandbox(str(tmp_path / "brand.db"), latency_ms=150, extra_extensions=1)
    await sb.start()
    yield sb
    await sb.stop()


def audit(sb: BrandSandbox) -> list[dict]:
    with urllib.request.urlopen(f"{sb.base_url}/_sandbox/audit?limit=1000") as response:
        return json.load(response)["entries"]


def wait_for_listing(sb: BrandSandbox, route: str, after: int) -> None:
    while not any(e["method"] == "GET" and e["route"].endswith(route) and e["seq"] > after for e in audit(sb)):
        time.sleep(0.01)


async def test_a_write_landing_while_the_observation_is_read_is_kept(slow_brand):
    config = BrandConfig(base_url=slow_brand.base_url, brand_id=slow_brand.brand_id,
                         api_token=slow_brand.tokens[ADMIN], requests_per_minute=600_000, timeout_seconds=5,
                         allowlist=Allowlist.with_defaults(["127.0.0.1"]))
    async with BrandClient(config) as client:
        session = BrandSession(client, await client.whoami(), fingerprint=())
        await client.install("bench-001")
        await session.observe()
        domains = ("https://hooks.bench.example",)
        action = install.PutDomains("bench-001", domains, added=domains, removed=("https://api001.bench.example",))

        before = max(e["seq"] for e in await asyncio.to_thread(audit, slow_brand))
        reading = asyncio.create_task(session.observe(max_age=0))
        # once the extensions page is read (it shows the old domains), the write lands
        await asyncio.to_thread(wait_for_listing, slow_brand, "/extensions", before)
        await install.apply(session, action)
        state = await reading

        assert state.extensions["bench-001"].domains == domains  # the observation keeps the write it missed
        assert session.state is state


def account(account_id: str, extension_id: str, name: str) -> Account:
    return Account.model_validate({"id": account_id, "extensionId": extension_id, "name": name,
                                   "creatorId": "UR_1", "createdAt": STAMP, "updatedAt": STAMP,
                                   "credentialsUpdatedAt": STAMP})


def test_accounts_are_found_by_natural_key_through_creates_renames_and_removals():
    state = BrandState(accounts={"AC_1": account("AC_1", "ext", "one")})
    assert state.account_named("ext", "one").id == "AC_1"
    state.put("accounts", "AC_2", account("AC_2", "ext", "two"))
    assert state.account_named("ext", "two").id == "AC_2"
    state.put("accounts", "AC_1", account("AC_1", "ext", "renamed"))
    assert state.account_named("ext", "one") is None and state.account_named("ext", "renamed").id == "AC_1"
    state.put("accounts", "AC_2", None)
    assert state.account_named("ext", "two") is None
    assert state.account_named("other", "renamed") is None
