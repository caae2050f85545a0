"""Injected faults and the sandbox's own rate limit: the brand misbehaving on purpose.

A fault spec is `kind=rate,...` with kinds 500, 503, 429 (answered at once), timeout (the
call is handled, its write committed, then the connection hangs for `hang` seconds and
drops: the client cannot tell whether the write happened) and drop (the connection is
closed before the call is handled). Draws come from one seeded generator, so a sequence
of calls meets the same faults on every run.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

KINDS = ("500", "503", "429", "timeout", "drop")


class FaultSpecError(ValueError):
    pass


def parse_spec(spec: str | None) -> dict[str, float]:
    """`500=0.1,429=0.05,timeout=0.02,drop=0.02,hang=3` -> {kind: value}."""
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        key, sep, raw = part.partition("=")
        if not sep:
            raise FaultSpecError(f"faults: {part!r} must be kind=rate")
        try:
            values[key.strip()] = float(raw)
        except ValueError:
            raise FaultSpecError(f"faults: {key.strip()} must be a number, got {raw!r}") from None
    return values


class Faults:
    def __init__(self, spec: dict[str, Any] | None = None, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.rates: dict[str, float] = dict.fromkeys(KINDS, 0.0)
        self.hang_seconds = 5.0
        self._rng = random.Random(seed)
        self.update(spec or {})

    def update(self, spec: dict[str, Any]) -> None:
        """Replace the rates (kinds left out become 0); `seed` restarts the sequence."""
        rates, hang = dict.fromkeys(KINDS, 0.0), self.hang_seconds
        for key, value in spec.items():
            if key == "seed":
                continue
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise FaultSpecError(f"faults.{key}: must be a number")
            if key == "hang":
                if not 0 <= value <= 600:
                    raise FaultSpecError("faults.hang: seconds from 0 to 600")
                hang = float(value)
            elif key in rates:
                if not 0 <= value <= 1:
                    raise FaultSpecError(f"faults.{key}: a rate from 0 to 1")
                rates[key] = float(value)
            else:
                raise FaultSpecError(f"faults.{key}: unknown fault (kinds: {', '.join(KINDS)}, hang, seed)")
        if sum(rates.values()) > 1:
            raise FaultSpecError("faults: the rates add up to more than 1")
        with self._lock:
            self.rates, self.hang_seconds = rates, hang
            if "seed" in spec:
                self._rng = random.Random(int(spec["seed"]))

    def draw(self) -> str | None:
        with self._lock:
            if not any(self.rates.values()):
                return None
            roll = self._rng.random()
        for kind in KINDS:
            roll -= self.rates[kind]
            if roll < 0:
                return kind
        return None

    def describe(self) -> dict[str, float]:
        return {**self.rates, "hang": self.hang_seconds}


class RateLimit:
    """The brand's leaky bucket: `per_minute` requests, a burst of a second's worth, 429 beyond."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock  # injectable, so a client's send times can be replayed through the bucket
        self.interval = 60.0 / per_minute
        self.tolerance = max(0.0, (max(1, per_minute // 60) - 1) * self.interval)
        self._tat = 0.0
        self._lock = threading.Lock()

    def admit(self) -> float | None:
        """None when admitted, else seconds until the bucket has room (the Retry-After)."""
        with self._lock:
            now = self._clock()
            tat = max(self._tat, now)
            if tat - now > self.tolerance:
                return tat - self.tolerance - now
            self._tat = tat + self.interval
            return None
