"""Per-object wake-up signals: an object's reconcile loop sleeps until something it depends on changes.

kopf has no way to requeue another object, so dependency readiness, Secret rotation and brand
drift reach an object's loop through these in-memory signals instead of a blind polling timer.
A key never seen before counts as woken, so every object converges once when the operator
starts (kopf's "resume").

Every object's loop sleeps here, so a sleep costs one future and one timer handle, no task: at
10,000 objects an asyncio.Event and two helper tasks per sleep held about 50 MB, and a task per
loop awaiting kopf's `stopped` (which only a task can await) another 30 to 40 MB
(docs/performance.md, "Memory per object"). So a loop's stop flag is read, not awaited: one sweep
a second wakes the sleeping loops whose flag kopf has set (an object deleted, the operator
exiting), well within the time kopf gives a timer to exit (`STOP_SWEEP_SECONDS`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator
from typing import Protocol

from qxo.reconcile.keys import ObjectKey

STOP_SWEEP_SECONDS = 1.0  # how often sleeping loops' stop flags are read


class StopFlag(Protocol):
    """kopf's `stopped` (a DaemonStopped): true once kopf asks the loop to end."""

    def __bool__(self) -> bool: ...


class Wakeups:
    def __init__(self) -> None:
        self._idle: set[ObjectKey] = set()  # seen, and not woken since its last wait
        self._sleeping: dict[ObjectKey, asyncio.Future[bool]] = {}
        self._stops: dict[ObjectKey, StopFlag] = {}  # the stop flag of each running loop
        self._sweeper: asyncio.Task[None] | None = None

    def wake(self, key: ObjectKey) -> None:
        self._idle.discard(key)
        sleeping = self._sleeping.get(key)
        if sleeping is not None and not sleeping.done():
            sleeping.set_result(True)

    def wake_all(self, keys: Iterable[ObjectKey]) -> None:
        for key in keys:
            self.wake(key)

    def forget(self, key: ObjectKey) -> None:
        self._idle.discard(key)

    async def wait(self, key: ObjectKey, *, timeout: float | None) -> bool:  # noqa: ASYNC109  (a deadline)
        """Wait until `key` is woken (True) or the timeout passes (False).

        The signal is consumed, so wakes that arrive while the object reconciles are
        remembered for the next wait rather than lost.
        """
        if key not in self._idle:
            self._idle.add(key)
            return True
        if timeout is not None and timeout <= 0:
            return False
        loop = asyncio.get_running_loop()
        sleeping: asyncio.Future[bool] = loop.create_future()
        self._sleeping[key] = sleeping
        deadline = None if timeout is None else loop.call_later(timeout, _settle, sleeping, False)
        try:
            woken = await sleeping
        finally:
            if deadline is not None:
                deadline.cancel()
            if self._sleeping.get(key) is sleeping:
                del self._sleeping[key]
        self._idle.add(key)  # consumed (a wake that came as the wait was cancelled stays for the next one)
        return woken

    @contextlib.contextmanager
    def stop_on(self, key: ObjectKey, stopped: StopFlag) -> Iterator[None]:
        """While the block runs, a sleep of `key` ends once `stopped` is set (read by the sweep, not awaited)."""
        self._stops[key] = stopped
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.ensure_future(self._sweep())
        try:
            yield
        finally:
            if self._stops.get(key) is stopped:
                del self._stops[key]

    async def _sweep(self) -> None:
        while self._stops:
            await asyncio.sleep(STOP_SWEEP_SECONDS)
            for key in [key for key in self._sleeping if self._stops.get(key)]:
                self.wake(key)


def _settle(future: asyncio.Future[bool], result: bool) -> None:
    if not future.done():
        future.set_result(result)
