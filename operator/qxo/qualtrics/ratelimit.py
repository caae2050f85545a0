"""One leaky bucket per brand, shared by every caller in the process.

Qualtrics meters a brand with a brand-wide leaky bucket; spacing our own requests the same
way means a thousand resources reconciling at once queue here instead of collecting 429s.
The bucket is a GCRA (generic cell rate algorithm): each caller reserves the next free slot
under a lock, then sleeps until its slot, so waiting callers are served in order.
"""

from __future__ import annotations

import asyncio
import threading
import time


class LeakyBucket:
    def __init__(self, requests_per_minute: int, burst: int | None = None) -> None:
        self._lock = threading.Lock()
        self._tat = 0.0  # theoretical arrival time of the next request
        self.configure(requests_per_minute, burst)

    def configure(self, requests_per_minute: int, burst: int | None = None) -> None:
        with self._lock:
            self.requests_per_minute = requests_per_minute
            self.interval = 60.0 / requests_per_minute
            # A small burst lets an idle client start at once; the bucket still drains at the rate.
            self.burst = burst if burst is not None else max(1, requests_per_minute // 600)

    def reserve(self) -> float:
        """Claim the next slot; returns how long the caller must wait for it (seconds)."""
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat, now)
            wait = max(0.0, tat - (self.burst - 1) * self.interval - now)
            self._tat = tat + self.interval
            return wait

    def penalize(self, seconds: float) -> None:
        """The brand said 429: hold every caller back, not just the one that was refused."""
        with self._lock:
            self._tat = max(self._tat, time.monotonic() + seconds)

    async def acquire(self) -> float:
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)
        return wait


_registry: dict[tuple[str, str], LeakyBucket] = {}
_registry_lock = threading.Lock()


def limiter_for(key: tuple[str, str], requests_per_minute: int) -> LeakyBucket:
    """The process-wide bucket of one brand (base URL + brand id); the latest rate wins."""
    with _registry_lock:
        bucket = _registry.get(key)
        if bucket is None:
            bucket = _registry[key] = LeakyBucket(requests_per_minute)
        elif bucket.requests_per_minute != requests_per_minute:
            bucket.configure(requests_per_minute)
        return bucket
