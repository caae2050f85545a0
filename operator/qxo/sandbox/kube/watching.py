"""Watch streams: initial events, resumption from a resourceVersion, bookmarks, timeouts and 410 Gone."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from qxo.sandbox.kube import tables
from qxo.sandbox.kube.errors import ApiError, options_invalid
from qxo.sandbox.kube.reads import Target, matcher, render
from qxo.sandbox.kube.watch import Change

DEFAULT_TIMEOUT = 1800.0
PRE_TIMEOUT = 2.0  # the last bookmark comes this long before the watch's deadline


def _expired(rv: str, floor: int) -> dict[str, Any]:
    return {"type": "ERROR", "object": {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f"too old resource version: {rv} ({floor + 1})", "reason": "Expired", "code": 410,
    }}


class Stream:
    def __init__(self, sandbox, target: Target, request: web.Request) -> None:
        self.sandbox = sandbox
        self.target = target
        self.request = request
        self.match = matcher(target, request.query)
        self.as_table = tables.wants_table(request.headers.get("Accept", ""))
        self.response = web.StreamResponse(headers={"Content-Type": "application/json"})
        self.start_rv = 0  # the resourceVersion the watch started from; bookmarks must tell of a later one

    def _encoded(self, change: Change, kind: str) -> bytes:
        if self.as_table:
            return self._event(kind, change.obj)
        key = (self.target.rtype.api_version, kind)
        line = change.encoded.get(key)
        if line is None:
            line = change.encoded[key] = self._event(kind, change.obj)
        return line

    def _event(self, kind: str, obj: dict[str, Any]) -> bytes:
        rendered = render(self.target.rtype, obj)
        if self.as_table:
            rendered = tables.table(self.target.rtype, [rendered], {"resourceVersion": obj["metadata"]
                                    ["resourceVersion"]}, self.request.query.get("includeObject", "Metadata"))
        return json.dumps({"type": kind, "object": rendered}, separators=(",", ":")).encode() + b"\n"

    def _filter(self, change: Change) -> tuple[str, dict[str, Any]] | None:
        """Selector-aware event type: an object leaving the selection is DELETED for this watcher."""
        name = self.target.name
        if name and change.obj["metadata"]["name"] != name:
            return None
        if self.match is None:
            return change.type, change.obj
        now_in = self.match(change.obj)
        was_in = change.old is not None and self.match(change.old)
        if change.type == "DELETED":
            return (change.type, change.obj) if (was_in or now_in) else None
        if now_in and was_in:
            return change.type, change.obj
        if now_in:
            return "ADDED", change.obj
        if was_in:
            # as the watch cache does: the object as it last matched, at the version that made it leave
            old = change.old or change.obj
            return "DELETED", {**old, "metadata": {**old["metadata"], "resourceVersion": str(change.rv)}}
        return None

    def _bookmark(self) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(self.sandbox.store.rv)}
        if not self.target.rtype.crd_name:
            meta["creationTimestamp"] = None  # a typed object's ObjectMeta, as the built-in kinds' bookmarks carry
        obj = {"kind": self.target.rtype.kind, "apiVersion": self.target.rtype.api_version, "metadata": meta}
        return json.dumps({"type": "BOOKMARK", "object": obj}, separators=(",", ":")).encode() + b"\n"

    def _initial(self) -> tuple[list[bytes], bool]:
        """The lines to send before live changes, and whether the watch is expired (410) and must end."""
        query = self.request.query
        rv = query.get("resourceVersion", "")
        self.start_rv = self.sandbox.store.rv
        if "sendInitialEvents" in query:
            # watch-list streaming: behind the WatchList feature gate, which Kubernetes 1.33 leaves off
            raise options_invalid("ListOptions", "sendInitialEvents", "FieldValueForbidden",
                                  "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList "
                                  "feature gate is enabled")
        store = self.sandbox.store
        rtype = self.target.rtype
        if rv in ("", "0"):
            # an ADDED event per existing object, in key order, as the watch cache replays its store
            out = []
            for obj in sorted(store.iter(rtype, self.target.list_namespace), key=lambda o: (
                    o["metadata"].get("namespace", ""), o["metadata"]["name"])):
                picked = self._filter(Change(0, "ADDED", obj, None, ""))
                if picked:
                    out.append(self._event("ADDED", obj))
            return out, False
        try:
            since = self.start_rv = int(rv)
        except ValueError:
            raise ApiError(500, f'resourceVersion: Invalid value: "{rv}": strconv.ParseUint: parsing "{rv}": '
                                "invalid syntax", reason="") from None
        channel = self.sandbox.hub.channel(rtype.storage_key)
        changes = channel.since(since)
        if changes is None:
            return [json.dumps(_expired(rv, channel.floor)).encode() + b"\n"], True
        out = []
        for change in changes:
            if self.target.list_namespace is not None and change.namespace != self.target.list_namespace:
                continue
            picked = self._filter(change)
            if picked:
                out.append(self._event(*picked))
        return out, False

    def _next_bookmark(self, now: float, deadline: float) -> float | None:
        """When the next bookmark is due, as the watch cache schedules them (cacheWatcher.nextBookmarkTime):
        every bookmark interval, and 2 s before the watch's deadline; None once neither is ahead."""
        due = min(now + self.sandbox.bookmark_interval, deadline - PRE_TIMEOUT)
        return due if due > now else None

    async def run(self) -> web.StreamResponse:
        query = self.request.query
        timeout = float(query.get("timeoutSeconds") or DEFAULT_TIMEOUT)
        bookmarks = query.get("allowWatchBookmarks") == "true"
        hub, key = self.sandbox.hub, self.target.rtype.storage_key
        watcher = hub.subscribe(key, self.target.list_namespace)
        try:
            initial, expired = self._initial()
            await self.response.prepare(self.request)
            for line in initial:
                await self.response.write(line)
            if expired:
                return self.response
            deadline = time.monotonic() + timeout
            next_bookmark = self._next_bookmark(time.monotonic(), deadline) if bookmarks else None
            while (left := deadline - time.monotonic()) > 0:
                wait = left if next_bookmark is None else min(left, next_bookmark - time.monotonic())
                try:
                    change = await asyncio.wait_for(watcher.queue.get(), max(wait, 0))
                except TimeoutError:
                    now = time.monotonic()
                    if next_bookmark is not None and now >= next_bookmark:
                        # a bookmark tells of a resourceVersion past the one the watch started from, or nothing
                        if self.sandbox.store.rv > self.start_rv:
                            await self.response.write(self._bookmark())
                        next_bookmark = self._next_bookmark(now, deadline)
                    continue
                if change is None:
                    break
                picked = self._filter(change)
                if picked:
                    kind, obj = picked
                    line = self._encoded(change, kind) if obj is change.obj else self._event(kind, obj)
                    await self.response.write(line)
        except ConnectionResetError:
            pass
        finally:
            hub.unsubscribe(key, watcher)
        return self.response
