"""The real brand client against the real brand sandbox: its counters on /metrics, its logs as
JSON lines without its token."""

from __future__ import annotations

import aiohttp
import pytest

from qxo.qualtrics import BrandClient, BrandConfig
from qxo.sandbox.brand import BrandSandbox
from qxo.trust.endpoints import Allowlist

ADMIN = "admin@acme.example"


@pytest.fixture
async def sandbox(tmp_path):
    sb = BrandSandbox(str(tmp_path / "brand.db"))
    await sb.start()
    yield sb
    await sb.stop()


def config(sb: BrandSandbox) -> BrandConfig:
    # 6000/min: 10 ms apart after a burst of 10, so a few dozen calls meet the limiter quickly.
    return BrandConfig(base_url=sb.base_url, brand_id=sb.brand_id, api_token=sb.tokens[ADMIN],
                       requests_per_minute=6000, backoff_base_seconds=0.005, backoff_max_seconds=0.02,
                       timeout_seconds=5, max_attempts=12, allowlist=Allowlist.with_defaults(["127.0.0.1"]))


async def set_faults(sb: BrandSandbox, spec: dict) -> None:
    async with aiohttp.ClientSession() as session, session.put(f"{sb.base_url}/_sandbox/faults", json=spec) as r:
        assert r.status == 200, await r.text()


async def test_the_brand_clients_live_counters_are_scraped(sandbox, operator_metrics, scraper):
    async with BrandClient(config(sandbox)) as client:
        operator_metrics.observe_brand_client(sandbox.brand_id, lambda: client.stats)
        await client.users()
        await client.install("servicenow")
        first = scraper.value("qxo_brand_attempts_total", brand=sandbox.brand_id, access="read")
        assert first == client.stats.reads > 0
        assert scraper.value("qxo_brand_attempts_total", brand=sandbox.brand_id, access="write") == 1

        await set_faults(sandbox, {"503": 0.3, "429": 0.2, "seed": 7})
        for _ in range(15):
            await client.groups()
        await set_faults(sandbox, {})

        stats = client.stats
        # Rate-limiter waits depend on how fast this machine sends; retries and 429s do not.
        assert stats.retries > 0 and stats.throttled > 0
        assert scraper.value("qxo_brand_attempts_total", brand=sandbox.brand_id, access="read") == stats.reads > first
        assert scraper.value("qxo_brand_retries_total", brand=sandbox.brand_id) == stats.retries
        assert scraper.value("qxo_brand_throttled_total", brand=sandbox.brand_id) == stats.throttled
        assert scraper.value("qxo_brand_rate_limit_waits_total", brand=sandbox.brand_id) == stats.rate_limit_waits
        assert scraper.value("qxo_brand_rate_limit_wait_seconds_total", brand=sandbox.brand_id) \
            == pytest.approx(stats.rate_limit_wait_seconds)


async def test_the_brand_clients_logs_are_json_lines_without_its_token(sandbox, json_logs):
    token = sandbox.tokens[ADMIN]
    async with BrandClient(config(sandbox)) as client:
        await set_faults(sandbox, {"500": 0.4, "seed": 3})
        for _ in range(10):
            await client.groups()
        await set_faults(sandbox, {})

    records = json_logs.records()  # raises if any line is not JSON
    assert any(r["logger"] == "qxo.qualtrics" and "retry" in r["message"] for r in records)
    assert token not in json_logs.text()
