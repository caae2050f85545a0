"""A sandbox server on its own event loop in a daemon thread: for synchronous tests, the demo and kubectl.

Every sandbox's `run_in_thread` is this with its own start and stop: started before the block runs (an
error starting is raised in the caller's thread), stopped when it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    loop.run_forever()


@contextlib.contextmanager
def serving_in_thread(start: Callable[[], Awaitable[Any]], stop: Callable[[], Awaitable[Any]],
                      name: str) -> Iterator[None]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=_serve, args=(loop,), name=name, daemon=True)
    thread.start()
    started = False
    try:
        asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=60)
        started = True
        yield
    finally:
        try:
            if started:
                asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            if not thread.is_alive():
                loop.close()
