"""One leaky bucket per brand, shared by every caller in the process, at the rate authenticated sessions claim.

Qualtrics meters a brand with a brand-wide leaky bucket; spacing our own requests the same
way means a thousand resources reconciling at once queue here instead of collecting 429s.

The bucket is a GCRA (generic cell rate algorithm) kept over the times requests actually
leave, checked under a lock at the moment each one leaves. Pacing by reserved times instead
is not enough: when the event loop stalls, every caller whose reserved time passed during
the stall wakes at once and leaves in one bunch, which the brand refuses. Callers still take
a place in a line, so waiting callers go in order and wake once, near their turn; when the
line runs ahead of what the bucket allows (after a stall, or a 429), the whole line moves back.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable


def default_burst(requests_per_minute: int) -> int:
    """A quarter of a second's worth: a brand's bucket allows a second's worth, and the rest
    of that allowance absorbs the network reordering and delaying requests on their way."""
    return max(1, requests_per_minute // 240)


class LeakyBucket:
    def __init__(self, requests_per_minute: int, burst: int | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._sent = 0.0  # theoretical arrival time of the next request, over actual send times
        self._line = 0.0  # the same, over places handed out in the line (line time)
        self._shift = 0.0  # clock time = line time + shift; grows when the line falls behind
        self._head = 0.0  # the line place after the latest one that was sent (line time)
        self.configure(requests_per_minute, burst)

    def configure(self, requests_per_minute: int, burst: int | None = None) -> None:
        if requests_per_minute < 1 or (burst is not None and burst < 1):
            raise ValueError("requests_per_minute and burst must be at least 1")
        with self._lock:
            self.requests_per_minute = requests_per_minute
            self.interval = 60.0 / requests_per_minute
            # A small burst lets an idle client start at once; the bucket still drains at the rate.
            self.burst = burst if burst is not None else default_burst(requests_per_minute)
            self.tolerance = (self.burst - 1) * self.interval

    def take_place(self) -> float:
        """Join the line; returns the caller's place (in line time), to pass to `try_send`."""
        with self._lock:
            now = self._clock() - self._shift
            tat = max(self._line, now)
            self._line = tat + self.interval
            return max(now, tat - self.tolerance)

    def try_send(self, place: float) -> float:
        """0.0 when the caller may send now (counted as sent), else seconds to wait before asking again."""
        with self._lock:
            now = self._clock()
            due = place + self._shift
            if due > now:
                return due - now
            ready = self._sent - self.tolerance
            if ready > now:
                # The line is ahead of the bucket: move it back so this caller is next when the
                # bucket has room and everyone behind it keeps their spacing, instead of all
                # overdue callers retrying at the same instant.
                self._shift = max(self._shift, ready - place)
                return ready - now
            self._sent = max(self._sent, now) + self.interval
            self._head = max(self._head, place + self.interval)
            return 0.0

    def reserve(self) -> float:
        """Join the line without sending; returns how long until that place would come up."""
        place = self.take_place()
        with self._lock:
            now = self._clock()
            return max(0.0, place + self._shift - now, self._sent - self.tolerance - now)

    def penalize(self, seconds: float) -> None:
        """The brand said 429: hold every caller back, not just the one that was refused."""
        with self._lock:
            now = self._clock()
            until = now + seconds
            # Full until then: after the pause requests leave one interval apart, not in a burst.
            self._sent = max(self._sent, until + self.tolerance)
            # Move the line so its next unsent place comes up then, and the rest keep their spacing.
            head = max(min(self._head, self._line), now - self._shift)
            self._shift = max(self._shift, until - head)
            self._line = max(self._line, until - self._shift)

    async def acquire(self) -> float:
        """Wait for this caller's turn; returns the seconds it waited (0.0 when it could send at once)."""
        place = self.take_place()
        wait = self.try_send(place)
        if not wait:
            return 0.0
        started = self._clock()
        while wait:
            await asyncio.sleep(wait)
            wait = self.try_send(place)
        return max(self._clock() - started, 1e-9)


# Qualtrics meters a brand at 3000 requests per minute: a bucket no authenticated session has claimed runs at that.
DEFAULT_REQUESTS_PER_MINUTE = 3000

_buckets: dict[tuple[str, str], LeakyBucket] = {}
_claims: dict[tuple[str, str], dict[int, int]] = {}
_registry_lock = threading.Lock()


def bucket_for(key: tuple[str, str]) -> LeakyBucket:
    """The process-wide bucket of one brand (base URL + brand id); using it never changes its rate."""
    with _registry_lock:
        bucket = _buckets.get(key)
        if bucket is None:
            rate = min(_claims.get(key, {}).values(), default=DEFAULT_REQUESTS_PER_MINUTE)
            bucket = _buckets[key] = LeakyBucket(rate)
        return bucket


class RateClaim:
    """One authenticated session's declared rate for a shared bucket, counted until `release`.

    The bucket runs at the lowest rate among its claims (every session of a brand shares the brand's
    one allowance, so the most careful declaration holds for all), and at the brand's own limit when
    nobody claims it. Only a session whose token the brand accepted claims: an object with a bogus
    token and a tiny rate cannot slow everyone else, and a deleted object's rate stops counting.
    """

    def __init__(self, key: tuple[str, str], requests_per_minute: int) -> None:
        if requests_per_minute < 1:
            raise ValueError("requests_per_minute must be at least 1")
        self.key = key
        self.requests_per_minute = requests_per_minute
        self._released = False
        with _registry_lock:
            _claims.setdefault(key, {})[id(self)] = requests_per_minute
            _apply(key)

    def release(self) -> None:
        with _registry_lock:
            if self._released:
                return
            self._released = True
            claims = _claims.get(self.key, {})
            claims.pop(id(self), None)
            if not claims:
                _claims.pop(self.key, None)
            _apply(self.key)


def _apply(key: tuple[str, str]) -> None:
    """Run the bucket at the lowest claimed rate (the default without claims); the registry lock is held."""
    bucket = _buckets.get(key)
    rate = min(_claims.get(key, {}).values(), default=DEFAULT_REQUESTS_PER_MINUTE)
    if bucket is None:
        _buckets[key] = LeakyBucket(rate)
    elif bucket.requests_per_minute != rate:
        bucket.configure(rate)


def claimed_rate(key: tuple[str, str]) -> int:
    """The rate the brand's bucket runs at now."""
    with _registry_lock:
        return min(_claims.get(key, {}).values(), default=DEFAULT_REQUESTS_PER_MINUTE)
