"""Per-object wake-up signals: an object's reconcile loop sleeps until something it depends on changes.

kopf has no way to requeue another object, so dependency readiness, Secret rotation and brand
drift reach an object's loop through these in-memory events instead of a blind polling timer.
A key never seen before counts as woken, so every object converges once when the operator
starts (kopf's "resume").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable

from qxo.reconcile.keys import ObjectKey


class Wakeups:
    def __init__(self) -> None:
        self._events: dict[ObjectKey, asyncio.Event] = {}

    def _event(self, key: ObjectKey) -> asyncio.Event:
        event = self._events.get(key)
        if event is None:
            event = self._events[key] = asyncio.Event()
            event.set()
        return event

    def wake(self, key: ObjectKey) -> None:
        self._event(key).set()

    def wake_all(self, keys: Iterable[ObjectKey]) -> None:
        for key in keys:
            self.wake(key)

    def forget(self, key: ObjectKey) -> None:
        self._events.pop(key, None)

    async def wait(self, key: ObjectKey, *, timeout: float | None,  # noqa: ASYNC109  (a deadline, not a cancel)
                   stopped: Awaitable | None = None) -> bool:
        """Wait until `key` is woken (True), the timeout passes or `stopped` fires (False).

        The signal is consumed, so wakes that arrive while the object reconciles are
        remembered for the next wait rather than lost.
        """
        event = self._event(key)
        if not event.is_set():
            waiters = [asyncio.ensure_future(event.wait())]
            if stopped is not None:
                waiters.append(asyncio.ensure_future(stopped))
            try:
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
        woken = event.is_set()
        event.clear()
        return woken
