"""A real client against a real rate-limited brand: an event-loop stall must not cost a single 429."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from qxo.qualtrics import BrandClient, BrandConfig
from qxo.sandbox.brand import BrandSandbox
from qxo.trust.endpoints import Allowlist

RPM = 1200  # brand and client alike: 20 a second, the brand's burst 20


async def _statuses(sb: BrandSandbox) -> list[int]:
    async with aiohttp.ClientSession() as session, session.get(f"{sb.base_url}/_sandbox/audit") as response:
        return [entry["status"] for entry in (await response.json())["entries"]]


async def test_a_stalled_client_sends_nothing_the_brand_refuses(tmp_path):
    # The brand runs on its own thread, as a remote brand would: the stall below blocks only the client.
    with BrandSandbox.run_in_thread(str(tmp_path / "brand.db"), rate_limit=RPM) as sb:
        config = BrandConfig(base_url=sb.base_url, brand_id=sb.brand_id, api_token=sb.admin_token,
                             requests_per_minute=RPM, backoff_base_seconds=0.01, backoff_max_seconds=0.05,
                             timeout_seconds=10, allowlist=Allowlist.with_defaults(["127.0.0.1"]))

        async def stall() -> None:
            await asyncio.sleep(0.5)
            time.sleep(1.5)  # noqa: ASYNC251 - on purpose: a CPU-starved process, 30 turns pass meanwhile

        async with BrandClient(config) as brand:
            brand.share_rate_limit()  # as the operator does once whoami accepted the token: 1200/min holds
            results = await asyncio.gather(stall(), *(brand.whoami() for _ in range(60)))
            assert all(me.brand_id == "acme" for me in results[1:])
            assert brand.stats.throttled == 0
        statuses = await _statuses(sb)
        assert statuses.count(200) == 60 and 429 not in statuses
