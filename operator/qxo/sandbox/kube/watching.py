"""Watch streams: initial events, resumption from a resourceVersion, bookmarks, timeouts and 410 Gone."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp import web

from qxo.sandbox.kube import tables
from qxo.sandbox.kube.errors import bad_request
from qxo.sandbox.kube.reads import Target, matcher, render
from qxo.sandbox.kube.watch import Change

DEFAULT_TIMEOUT = 1800.0


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
            return "DELETED", change.obj
        return None

    def _bookmark(self, annotations: dict[str, str] | None = None) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(self.sandbox.store.rv)}
        if annotations:
            meta["annotations"] = annotations
        obj = {"kind": self.target.rtype.kind, "apiVersion": self.target.rtype.api_version, "metadata": meta}
        return json.dumps({"type": "BOOKMARK", "object": obj}, separators=(",", ":")).encode() + b"\n"

    def _initial(self) -> tuple[list[bytes], bool]:
        """The lines to send before live changes, and whether the watch is expired (410) and must end."""
        query = self.request.query
        rv = query.get("resourceVersion", "")
        send_initial = query.get("sendInitialEvents") == "true"
        store = self.sandbox.store
        rtype = self.target.rtype
        if send_initial or rv in ("", "0"):
            out = []
            for obj in sorted(store.iter(rtype, self.target.list_namespace), key=lambda o: int(
                    o["metadata"]["resourceVersion"])):
                picked = self._filter(Change(0, "ADDED", obj, None, ""))
                if picked:
                    out.append(self._event("ADDED", obj))
            if send_initial and query.get("allowWatchBookmarks") == "true":
                out.append(self._bookmark({"k8s.io/initial-events-end": "true"}))
            return out, False
        try:
            since = int(rv)
        except ValueError:
            raise bad_request(f'resourceVersion: Invalid value: "{rv}": must be an integer') from None
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

    async def run(self) -> web.StreamResponse:
        query = self.request.query
        timeout = float(query.get("timeoutSeconds") or DEFAULT_TIMEOUT)
        bookmarks = query.get("allowWatchBookmarks") == "true"
        interval = self.sandbox.bookmark_interval
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
            while (left := deadline - time.monotonic()) > 0:
                try:
                    change = await asyncio.wait_for(watcher.queue.get(), min(left, interval))
                except TimeoutError:
                    if bookmarks:
                        await self.response.write(self._bookmark())
                    continue
                if change is None:
                    break
                picked = self._filter(change)
                if picked:
                    await self.response.write(self._encoded(change, picked[0]))
        except ConnectionResetError:
            pass
        finally:
            hub.unsubscribe(key, watcher)
        return self.response
