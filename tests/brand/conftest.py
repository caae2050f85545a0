"""Fixtures for the brand tests: a real sandbox brand on a free port and clients connected to it."""

from __future__ import annotations

import pytest
from brandkit import OPS, Contract, fast_config, load_openapi

from qxo.qualtrics import BrandClient
from qxo.sandbox.brand import BrandSandbox


@pytest.fixture
async def sandbox(tmp_path):
    sb = BrandSandbox(str(tmp_path / "brand.db"))
    await sb.start()
    yield sb
    await sb.stop()


@pytest.fixture
async def brand(sandbox):
    async with BrandClient(fast_config(sandbox)) as client:
        yield client


@pytest.fixture
async def ops(sandbox):
    async with BrandClient(fast_config(sandbox, OPS)) as client:
        yield client


@pytest.fixture
async def ids(brand):
    users = {u.username: u.id for u in await brand.users()}
    groups = {g.name: g.id for g in await brand.groups()}
    return {**users, **groups}


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract(load_openapi())
