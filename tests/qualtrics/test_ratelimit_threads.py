"""One bucket shared by event loops on several threads (the registry is per process) still paces exactly."""

from __future__ import annotations

import asyncio
import threading
import time

from pacekit import violations

from qxo.qualtrics.ratelimit import LeakyBucket


class _RecordingClock:
    """The real clock, remembering per thread the last reading: after `try_send` says go, that
    reading is the instant the bucket judged the send, so the test sees exactly what it admitted."""

    def __init__(self) -> None:
        self._last = threading.local()

    def __call__(self) -> float:
        self._last.value = time.monotonic()
        return self._last.value

    @property
    def last(self) -> float:
        return self._last.value


def test_loops_on_several_threads_share_one_exact_pace():
    clock = _RecordingClock()
    bucket = LeakyBucket(6000, burst=1, clock=clock)  # 10 ms apart and no burst: the strictest pace
    sent: list[float] = []
    lock = threading.Lock()

    async def call() -> None:
        place = bucket.take_place()
        wait = bucket.try_send(place)
        while wait:
            await asyncio.sleep(wait)
            wait = bucket.try_send(place)
        with lock:
            sent.append(clock.last)

    async def calls(stall: bool) -> None:
        async def blocked() -> None:
            await asyncio.sleep(0.1)
            time.sleep(0.2)  # noqa: ASYNC251 - on purpose: this thread's loop stalls, the others go on

        await asyncio.gather(*(call() for _ in range(25)), *([blocked()] if stall else []))

    threads = [threading.Thread(target=asyncio.run, args=(calls(stall=n == 0),)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(sent) == 100
    assert violations(sent, bucket.interval, bucket.tolerance) == []
