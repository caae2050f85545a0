"""Observing a whole brand costs pages, not objects: 50 installs and 500 accounts in a handful of reads.

The figures asserted here are the ones docs/brand-api.md reports.
"""

from __future__ import annotations

import asyncio

import pytest
from brandkit import audit, fast_config

from qxo.qualtrics import Access, BrandClient
from qxo.sandbox.brand import BrandSandbox


@pytest.fixture
async def big_brand(tmp_path):
    sb = BrandSandbox(str(tmp_path / "big.db"), extra_extensions=18)  # 32 + 18 = 50 catalog entries
    await sb.start()
    async with BrandClient(fast_config(sb)) as brand:
        catalog = await brand.extensions()
        assert len(catalog) == 50
        await asyncio.gather(*(brand.install(e.id, accept_terms=True, preview_opt_in=True) for e in catalog))
        users = await brand.users()
        semaphore = asyncio.Semaphore(16)

        async def account(extension_id: str, n: int) -> None:
            async with semaphore:
                made = await brand.create_account(extension_id, f"account-{n}", {"token": f"t{n}"})
                await brand.put_access(made.id, Access.of(users=[(users[n % len(users)].id, "User")]))

        await asyncio.gather(*(account(e.id, n) for e in catalog for n in range(10)))
    yield sb
    await sb.stop()


@pytest.mark.slow
async def test_observing_50_installs_and_500_accounts_reads_pages_not_objects(big_brand):
    before = (await audit(big_brand))["totals"]["reads"]
    async with BrandClient(fast_config(big_brand)) as brand:  # page size 500, the contract's maximum
        snap = await brand.observe()
    assert len(snap.installed) == 50 and len(snap.accounts) == 500
    assert all(a.access is not None and a.access.users for a in snap.accounts)
    assert snap.requests == 3  # extensions, accounts, Salesforce connections: one page each
    async with BrandClient(fast_config(big_brand), page_size=100) as brand:  # the server's default page size
        assert (await brand.observe()).requests == 1 + 5 + 1
    assert (await audit(big_brand))["totals"]["reads"] - before == 3 + 7
