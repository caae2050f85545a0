"""Change fan-out: a bounded history per resource type and the live watchers of that type.

Publishing costs O(watchers of that type), never O(objects); the history is a deque with a
fixed length, so a watch from a resourceVersion older than the window gets 410 Gone.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any


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

    def __init__(self, history: int) -> None:
        self.history: deque[Change] = deque(maxlen=history)
        # every change with rv <= floor has left the window
        self.floor = 0
        self.watchers: set[Watcher] = set()

    def publish(self, change: Change) -> None:
        if len(self.history) == self.history.maxlen:
            self.floor = self.history[0].rv
        self.history.append(change)
        for watcher in self.watchers:
            if watcher.namespace is None or watcher.namespace == change.namespace:
                watcher.queue.put_nowait(change)

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
    def __init__(self, history: int = 1000) -> None:
        self.history = history
        self.channels: dict[str, Channel] = {}

    def channel(self, key: str) -> Channel:
        channel = self.channels.get(key)
        if channel is None:
            channel = self.channels[key] = Channel(self.history)
        return channel

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
