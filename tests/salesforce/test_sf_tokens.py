"""The token holder: refreshed ahead of expiry, once on INVALID_SESSION_ID, and once for concurrent callers."""

from __future__ import annotations

import asyncio
import time

import pytest

from qxo.salesforce import SalesforceConnection, SessionExpired, TokenHolder


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_token_is_reused_until_its_refresh_margin_then_refreshed_before_expiry(sandbox, settings):
    clock = FakeClock()
    holder = TokenHolder(settings, clock=clock)
    first = await holder.current()
    assert await holder.current() is first
    assert holder.refresh_count == 1
    # Ten percent of a one-hour token is six minutes: five minutes before expiry is inside the margin.
    clock.now = first.expires_at - 300
    second = await holder.current()
    assert second is not first
    assert second.access_token != first.access_token
    assert holder.refresh_count == 2
    assert sandbox.counters["tokenRequests"] == 2


async def test_an_expired_session_refreshes_once_and_the_call_succeeds(sandbox, connection):
    await connection.query("SELECT Id FROM User")
    sandbox.expire_access_tokens()
    rows = await connection.query("SELECT Id, Username FROM User")
    assert rows[0]["Username"] == sandbox.org["user"]["username"]
    assert connection.tokens.refresh_count == 2
    assert sandbox.counters["tokenRequests"] == 2


async def test_metadata_calls_also_refresh_on_an_expired_session(sandbox, connection):
    await connection.query("SELECT Id FROM User")
    sandbox.expire_access_tokens()
    record = await connection.read_metadata("SecuritySettings", "Security")
    assert record is not None
    assert connection.tokens.refresh_count == 2


async def test_a_session_refused_after_the_refresh_is_raised_not_looped(sandbox, settings):
    # Tokens born expired: the one refresh cannot help, and the client must not refresh again.
    sandbox.patch_org({"knobs": {"tokenLifetimeSeconds": -1}})
    connection = SalesforceConnection(settings)
    try:
        with pytest.raises(SessionExpired):
            await connection.query("SELECT Id FROM User")
    finally:
        connection.close()
    assert sandbox.counters["tokenRequests"] == 2


async def test_concurrent_callers_share_one_refresh(sandbox, settings):
    holder = TokenHolder(settings)
    tokens = await asyncio.gather(*(holder.current() for _ in range(5)))
    assert len({t.access_token for t in tokens}) == 1
    assert holder.refresh_count == 1
    assert sandbox.counters["tokenRequests"] == 1
