"""Change fan-out: a bounded history per resource type and the live watchers of that type.

Publishing costs O(watchers of that type), never O(objects). The history is sized as the real
server's watch cache sizes its own (k8s.io/apiserver, storage/cacher/watch_cache_history.go, v0.37):
it starts at `lower` changes, doubles (up to 100 * 1024) whenever it is full of changes younger than
`fresh` seconds (75: the bookmark frequency plus 15 s), and halves (not below `lower`) when its
newest quarter is older than that. A full history drops its oldest change, and a watch from a
resourceVersion older than what is left gets 410 Gone. So a busy resource keeps at least its last
75 s, whatever the number of changes in them, and a quiet one only its last `lower` changes.

A resource's history begins when it began to be served (the sandbox started, its CRD was created),
as the real server's watch cache begins at its initial list: a resourceVersion from before that is
too old too.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

LOWER_BOUND = 100  # changes; the real watch cache's defaultLowerBoundCapacity
UPPER_BOUND = 100 * 1024  # and its defaultUpperBoundCapacity
FRESH_SECONDS = 75.0  # its DefaultEventFreshDuration


@dataclass(frozen=True)
class Window:
    """How much history a resource keeps: see the module's docstring."""

    lower: int = LOWER_BOUND
    fresh: float = FRESH_SECONDS
    upper: int = UPPER_BOUND


@dataclass(frozen=True)
class Change:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    obj: dict[str, Any]
    old: dict[str, Any] | None
    namespace: str
    # serialised forms by (api version, event type), so N watchers of one version encode the change once
    encoded: dict[tuple[str, str], bytes] = field(default_factory=dict, compare=False, repr=False)


@dataclass(eq=False)
class Watcher:
    namespace: str | None
    queue: asyncio.Queue[Change | None] = field(default_factory=asyncio.Queue)


class Channel:
    """The history and watchers of one stored resource (all of its versions)."""

    def __init__(self, window: Window, floor: int = 0) -> None:
        self.window = window
        self.capacity = window.lower
        self.history: deque[Change] = deque()
        self._times: deque[float] = deque()  # when each change in the history was published
        # every change with rv <= floor has left the window (or came before the history began)
        self.floor = floor
        self.watchers: set[Watcher] = set()

    def publish(self, change: Change) -> None:
        now = time.monotonic()
        self._resize(now)
        if len(self.history) >= self.capacity:
            self._drop_oldest()
        self.history.append(change)
        self._times.append(now)
        for watcher in self.watchers:
            if watcher.namespace is None or watcher.namespace == change.namespace:
                watcher.queue.put_nowait(change)

    def _resize(self, now: float) -> None:
        if len(self.history) < self.capacity:
            return
        window = self.window
        if now - self._times[0] < window.fresh:  # full of fresh changes: make room rather than forget
            self.capacity = max(self.capacity, min(2 * self.capacity, window.upper))
        elif now - self._times[-(self.capacity // 4)] > window.fresh:  # its newest quarter is stale too
            self.capacity = max(self.capacity // 2, window.lower)
            while len(self.history) > self.capacity:
                self._drop_oldest()

    def _drop_oldest(self) -> None:
        self.floor = self.history.popleft().rv
        self._times.popleft()

    def since(self, rv: int) -> list[Change] | None:
        """Changes after `rv`, or None when some of them have left the window."""
        if rv < self.floor:
            return None
        # the deque is ordered by rv; scanning from the right stops at the first older change
        out: list[Change] = []
        for change in reversed(self.history):
            if change.rv <= rv:
                break
            out.append(change)
        out.reverse()
        return out


class Hub:
    def __init__(self, window: Window | None = None) -> None:
        self.window = window or Window()
        self.floor = 0  # where the history of a resource first written or watched now begins
        self.channels: dict[str, Channel] = {}

    def channel(self, key: str) -> Channel:
        channel = self.channels.get(key)
        if channel is None:
            channel = self.channels[key] = Channel(self.window, self.floor)
        return channel

    def begin(self, rv: int) -> None:
        """Every resource's history begins at `rv` (the server is up): older resourceVersions are too old."""
        self.floor = rv
        for channel in self.channels.values():
            channel.floor = max(channel.floor, rv)

    def restart(self, key: str, rv: int) -> None:
        """A resource began to be served anew at `rv` (its CRD was created or deleted): its watches end."""
        old = self.channels.pop(key, None)
        if old is not None:
            for watcher in old.watchers:
                watcher.queue.put_nowait(None)
        self.channels[key] = Channel(self.window, rv)

    def publish(self, key: str, change: Change) -> None:
        self.channel(key).publish(change)

    def subscribe(self, key: str, namespace: str | None) -> Watcher:
        watcher = Watcher(namespace)
        self.channel(key).watchers.add(watcher)
        return watcher

    def unsubscribe(self, key: str, watcher: Watcher) -> None:
        self.channel(key).watchers.discard(watcher)

    def close_all(self) -> None:
        for channel in self.channels.values():
            for watcher in channel.watchers:
                watcher.queue.put_nowait(None)
