"""The client's bucket, on a virtual clock: what it sends must pass the brand's bucket, stalls or not."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pacekit import VirtualClock, refused_by_brand, run_virtual

from qxo.qualtrics.ratelimit import LeakyBucket
from qxo.sandbox.brand.faults import RateLimit

RPM = 1200  # the rate-limited benchmark's: 20 a second, the brand's burst 20


async def _callers(bucket: LeakyBucket, clock: VirtualClock, count: int,
                   stalls: tuple[tuple[float, float], ...] = ()) -> list[tuple[int, float]]:
    """`count` callers join the line at once; each stall blocks the loop for its seconds after its delay.
    Returns (join order, send time) in the order they sent."""
    sent: list[tuple[int, float]] = []

    async def call(index: int) -> None:
        await bucket.acquire()
        sent.append((index, clock()))

    async def stall(after: float, seconds: float) -> None:
        await asyncio.sleep(after)
        clock.advance(seconds)  # a blocking step: the loop runs nothing meanwhile

    await asyncio.gather(*(stall(a, s) for a, s in stalls), *(call(i) for i in range(count)))
    return sent


def test_after_a_stall_the_overdue_callers_do_not_leave_in_one_bunch(clock):
    bucket = LeakyBucket(RPM, clock=clock)
    start = clock()
    sent = run_virtual(clock, _callers(bucket, clock, 200, stalls=((1.0, 2.0),)))
    times = [at for _, at in sent]
    assert len(times) == 200
    # The stall made callers overdue: their turns (every 50 ms) passed while the loop was blocked.
    overdue = [at for at in times if abs(at - (start + 3.0)) < 1e-6]  # the instant the stall ended
    assert 1 <= len(overdue) <= bucket.burst
    assert refused_by_brand(times, RPM) == []


def test_without_a_stall_requests_leave_exactly_at_the_configured_rate(clock):
    bucket = LeakyBucket(RPM, clock=clock)
    start = clock()
    times = [at for _, at in run_virtual(clock, _callers(bucket, clock, 200))]
    burst, interval = bucket.burst, 60 / RPM
    expected = [start] * burst + [start + k * interval for k in range(1, 200 - burst + 1)]
    assert times == pytest.approx(expected, abs=1e-6)
    assert refused_by_brand(times, RPM) == []


def test_callers_are_served_in_the_order_they_joined_even_across_a_stall(clock):
    bucket = LeakyBucket(RPM, clock=clock)
    order = [index for index, _ in run_virtual(clock, _callers(bucket, clock, 200, stalls=((0.6, 1.3),)))]
    # Callers released in the same instant may swap among themselves; nobody jumps the line further.
    assert max(abs(rank - index) for rank, index in enumerate(order)) < bucket.burst


def test_a_429_holds_back_every_waiting_caller_then_the_line_resumes_at_the_rate(clock):
    bucket = LeakyBucket(RPM, clock=clock)
    start = clock()

    async def refused_once() -> None:
        await asyncio.sleep(1.0)
        bucket.penalize(3.0)

    async def scenario() -> list[tuple[int, float]]:
        _, sent = await asyncio.gather(refused_once(), _callers(bucket, clock, 100))
        return sent

    times = [at for _, at in run_virtual(clock, scenario())]
    resumed = start + 4.0 - 1e-6  # float sums on the virtual clock land within a hair of the instant
    assert not [at for at in times if start + 1.0 < at < resumed]
    after = [at for at in times if at >= resumed]
    assert len(after) > 50
    # The waiting callers resume at the penalty's end, one interval apart and without a gap.
    assert after == pytest.approx([start + 4.0 + k * 60 / RPM for k in range(len(after))], abs=1e-6)
    assert len(times) == 100


@pytest.mark.parametrize("rpm", [1, 59, 60, 119, 120, 600, 1200, 3000, 60_000])
def test_the_default_burst_stays_within_the_brands(rpm):
    assert LeakyBucket(rpm).tolerance <= RateLimit(rpm).tolerance


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rpm=st.integers(30, 3000),
       arrivals=st.lists(st.floats(0, 3), min_size=1, max_size=150),
       stalls=st.lists(st.tuples(st.floats(0, 4), st.floats(0.001, 4)), max_size=4))
def test_whatever_the_stalls_and_arrivals_the_brand_refuses_nothing(rpm, arrivals, stalls):
    clock = VirtualClock()
    bucket = LeakyBucket(rpm, clock=clock)
    sent: list[float] = []

    async def call(after: float) -> None:
        await asyncio.sleep(after)
        await bucket.acquire()
        sent.append(clock())

    async def stall(after: float, seconds: float) -> None:
        await asyncio.sleep(after)
        clock.advance(seconds)

    async def scenario() -> None:
        await asyncio.gather(*(stall(a, s) for a, s in stalls), *(call(a) for a in arrivals))

    run_virtual(clock, scenario())
    assert len(sent) == len(arrivals)
    assert refused_by_brand(sent, rpm) == []
