"""Change fan-out: a bounded history per resource type and the live watchers of that type.

Publishing costs O(watchers of that type), never O(objects); the history is a deque with a
fixed length, so a watch from a resourceVersion older than the window gets 410 Gone. A resource's
history begins when it began to be served (the sandbox started, its CRD was created), as the real
server's watch cache begins at its initial list: a resourceVersion from before that is too old too.
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

    def __init__(self, history: int, floor: int = 0) -> None:
        self.history: deque[Change] = deque(maxlen=history)
        # every change with rv <= floor has left the window (or came before the history began)
        self.floor = floor
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
        self.floor = 0  # where the history of a resource first written or watched now begins
        self.channels: dict[str, Channel] = {}

    def channel(self, key: str) -> Channel:
        channel = self.channels.get(key)
        if channel is None:
            channel = self.channels[key] = Channel(self.history, self.floor)
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
        self.channels[key] = Channel(self.history, rv)

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
