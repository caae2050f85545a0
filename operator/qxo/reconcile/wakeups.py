"""Per-object wake-up signals: an object's reconcile loop sleeps until something it depends on changes.

kopf has no way to requeue another object, so dependency readiness, Secret rotation and brand
drift reach an object's loop through these in-memory signals instead of a blind polling timer.
A key never seen before counts as woken, so every object converges once when the operator
starts (kopf's "resume").

Every object's loop sleeps here, so a sleep costs one future and one timer handle, no task: at
10,000 objects an asyncio.Event and two helper tasks per sleep held about 50 MB
(docs/performance.md, "Memory per object").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable

from qxo.reconcile.keys import ObjectKey


class Wakeups:
    def __init__(self) -> None:
        self._idle: set[ObjectKey] = set()  # seen, and not woken since its last wait
        self._sleeping: dict[ObjectKey, asyncio.Future[bool]] = {}

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

    def wake_on(self, key: ObjectKey, event: Awaitable[object]) -> asyncio.Task[None]:
        """Wake `key` when `event` completes (kopf's `stopped.wait()`); cancel the task to stop watching.

        One task for as long as the caller's loop runs, rather than one per sleep.
        """
        async def watch() -> None:
            await event
            self.wake(key)

        return asyncio.ensure_future(watch())


def _settle(future: asyncio.Future[bool], result: bool) -> None:
    if not future.done():
        future.set_result(result)
