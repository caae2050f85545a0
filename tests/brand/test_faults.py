"""Every fault kind the sandbox injects, and the client's answer to each: retry, replay, or a typed error."""

from __future__ import annotations

import aiohttp
import pytest
from brandkit import audit, fast_config, raw, set_faults

from qxo.qualtrics import BrandClient, errors
from qxo.sandbox.brand import BrandSandbox


@pytest.mark.parametrize("kind", ["500", "503", "429", "drop"])
async def test_transient_faults_are_retried_until_the_call_succeeds(sandbox, kind):
    await set_faults(sandbox, {kind: 0.5, "seed": 7})
    async with BrandClient(fast_config(sandbox, max_attempts=20)) as brand:
        for _ in range(10):
            assert (await brand.whoami()).brand_id == "acme"
        assert brand.stats.retries > 0
    entries = (await audit(sandbox))["entries"]
    assert {e.get("fault") for e in entries} >= {kind}


async def test_a_timeout_after_write_leaves_exactly_one_account(sandbox):
    async with BrandClient(fast_config(sandbox)) as brand:
        await brand.install("slack")
        await set_faults(sandbox, {"timeout": 1.0, "hang": 2})
        async with BrandClient(fast_config(sandbox, timeout_seconds=0.3, max_attempts=2)) as hasty:
            with pytest.raises(errors.Unavailable):
                await hasty.create_account("slack", "bot", {"token": "x"}, client_request_id="create-bot-1")
        await set_faults(sandbox, {})
        # The write happened although no answer came back; the retry replays it instead of adding one.
        replayed = await brand.create_account("slack", "bot", {"token": "x"}, client_request_id="create-bot-1")
        accounts = await brand.accounts("slack")
    assert [a.id for a in accounts] == [replayed.id]
    entries = (await audit(sandbox))["entries"]
    creates = [e for e in entries if e["method"] == "POST"]
    assert [c.get("fault") for c in creates] == ["timeout", "timeout", None]
    assert [c.get("replayed") for c in creates] == [False, True, True]


async def test_a_retried_create_under_timeouts_converges_on_one_account(sandbox):
    async with BrandClient(fast_config(sandbox, timeout_seconds=0.3, max_attempts=10)) as brand:
        await brand.install("slack")
        await set_faults(sandbox, {"timeout": 0.5, "hang": 1, "seed": 3})
        account = await brand.create_account("slack", "bot", {"token": "x"})
        await set_faults(sandbox, {})
        assert [a.id for a in await brand.accounts("slack")] == [account.id]


async def test_a_client_request_id_reused_for_another_body_is_refused(brand):
    await brand.install("slack")
    await brand.create_account("slack", "one", {"token": "x"}, client_request_id="same")
    with pytest.raises(errors.Conflict) as refused:
        await brand.create_account("slack", "two", {"token": "x"}, client_request_id="same")
    assert refused.value.error_code == "CLIENT_REQUEST_ID_REUSED"


async def test_a_delete_whose_answer_was_lost_is_not_an_error(sandbox):
    async with BrandClient(fast_config(sandbox, timeout_seconds=0.3)) as brand:
        await brand.install("slack")
        account = await brand.create_account("slack", "bot", {"token": "x"})
        await set_faults(sandbox, {"timeout": 1.0, "hang": 1})
        await _delete_with_one_timeout(sandbox, brand, account.id)
        assert await brand.accounts("slack") == []


async def _delete_with_one_timeout(sandbox, brand, account_id):
    # The first attempt times out after deleting; switch the fault off before the retry.
    original = brand._transport._attempt
    calls = 0

    async def attempt(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 2:
            await set_faults(sandbox, {})
        return await original(*args, **kwargs)

    brand._transport._attempt = attempt
    await brand.delete_account(account_id)
    assert calls == 2


async def test_the_retry_budget_ends_in_a_typed_error(sandbox):
    await set_faults(sandbox, {"503": 1.0})
    async with BrandClient(fast_config(sandbox, max_attempts=3)) as brand:
        with pytest.raises(errors.Unavailable) as failed:
            await brand.whoami()
        assert failed.value.status == 503 and failed.value.error_code == "INJECTED_FAULT"
        assert brand.stats.retries == 2 and brand.stats.reads == 3
    await set_faults(sandbox, {"429": 1.0})
    async with BrandClient(fast_config(sandbox, max_attempts=2)) as brand:
        with pytest.raises(errors.RateLimited):
            await brand.whoami()
        assert brand.stats.throttled == 2


async def test_the_sandbox_rate_limit_answers_429_with_retry_after(tmp_path):
    sb = BrandSandbox(str(tmp_path / "b.db"), rate_limit=30)  # one every 2 s, so a slow machine still meets it
    await sb.start()
    try:
        statuses = [(await raw(sb, "GET", "/API/v3/whoami"))[:3:2] for _ in range(3)]
        assert statuses[0][0] == 200 and statuses[1][0] == 429
        assert statuses[1][1]["Retry-After"] in ("1", "2")
        # The client honours Retry-After (capped by its own maximum) and gets through.
        async with BrandClient(fast_config(sb, backoff_max_seconds=2.5, max_attempts=5)) as brand:
            assert (await brand.whoami()).brand_id == "acme"
            assert brand.stats.throttled >= 1
    finally:
        await sb.stop()


async def test_fault_draws_are_deterministic_with_the_seed(tmp_path):
    seen = []
    for run in range(2):
        sb = BrandSandbox(str(tmp_path / f"b{run}.db"), faults="500=0.3,429=0.2", seed=11)
        await sb.start()
        try:
            seen.append([(await raw(sb, "GET", "/API/v3/whoami"))[0] for _ in range(20)])
        finally:
            await sb.stop()
    assert seen[0] == seen[1] and {500, 429, 200} <= set(seen[0])


@pytest.mark.parametrize("spec", [{"500": 2}, {"boom": 0.1}, {"500": 0.6, "503": 0.6}, {"500": "x"}, [1]])
async def test_bad_fault_switches_are_refused(sandbox, spec):
    async with aiohttp.ClientSession() as session, session.put(f"{sandbox.base_url}/_sandbox/faults",
                                                               json=spec) as response:
        assert response.status == 400
        assert "faults" in (await response.json())["error"]
