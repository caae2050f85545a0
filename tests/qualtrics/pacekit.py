"""Helpers for the pacing tests: an event loop on a virtual clock, and the brand's bucket as a judge.

On the virtual loop, `asyncio.sleep` advances the clock instead of waiting, so a thousand
callers pacing themselves over minutes run in milliseconds and always at the same times;
a stall (a step that blocks the loop) is `clock.advance(seconds)` inside a coroutine.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine, Iterable
from typing import Any

from qxo.sandbox.brand.faults import RateLimit


class VirtualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class _Selector(selectors.DefaultSelector):
    """Polls without waiting; the time the loop meant to wait passes on the virtual clock."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock

    def select(self, timeout: float | None = None) -> list:
        if timeout is None:
            raise RuntimeError("the virtual loop has nothing scheduled: it would wait forever")
        self.clock.advance(timeout)
        return super().select(0)


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(_Selector(clock))
        self.clock = clock

    def time(self) -> float:
        return self.clock()


def run_virtual(clock: VirtualClock, coroutine: Coroutine[Any, Any, Any]) -> Any:
    loop = VirtualLoop(clock)
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def refused_by_brand(send_times: Iterable[float], per_minute: int) -> list[float]:
    """Replay send times through the sandbox brand's own bucket; returns the ones it would refuse."""
    clock = VirtualClock()
    bucket = RateLimit(per_minute, clock=clock)
    refused = []
    for at in sorted(send_times):
        clock.now = at
        if bucket.admit() is not None:
            refused.append(at)
    return refused


def violations(send_times: Iterable[float], interval: float, tolerance: float) -> list[float]:
    """The send times a GCRA of exactly this interval and tolerance would refuse (a hair of float slack)."""
    tat, refused = float("-inf"), []
    for at in sorted(send_times):
        if max(tat, at) - at > tolerance + 1e-9:
            refused.append(at)
            continue
        tat = max(tat, at) + interval
    return refused
