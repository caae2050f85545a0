"""Lists with selectors and pages, Table responses, and watches: resume, initial events, bookmarks, 410 Gone."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from tests.kube.conftest import WIDGETS, widget

from qxo.sandbox.kube import KubeSandbox
from qxo.sandbox.kube.watch import Window

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


async def _configmaps(api, count: int, **labels: str):
    for i in range(count):
        await api.ok("POST", CONFIGMAPS, {"metadata": {"name": f"c{i}", "labels": {"i": str(i), **labels}}})


async def test_label_selectors_equality_set_and_existence(api):
    await _configmaps(api, 4)
    await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "other"}})

    async def names(selector: str) -> list[str]:
        listed = await api.ok("GET", CONFIGMAPS, params={"labelSelector": selector})
        return [o["metadata"]["name"] for o in listed["items"]]

    assert await names("i=1") == ["c1"]
    assert await names("i!=1,i") == ["c0", "c2", "c3"]
    assert await names("i in (0, 3)") == ["c0", "c3"]
    assert await names("i notin (0,3),i") == ["c1", "c2"]
    assert await names("!i") == ["other"]


async def test_field_selectors_on_name_and_namespace_and_unknown_fields_refused(api):
    await _configmaps(api, 2)
    listed = await api.ok("GET", "/api/v1/configmaps", params={"fieldSelector": "metadata.name=c1"})
    assert [o["metadata"]["name"] for o in listed["items"]] == ["c1"]
    listed = await api.ok("GET", "/api/v1/configmaps", params={"fieldSelector": "metadata.namespace!=default"})
    assert listed["items"] == []
    status, _body, _ = await api.call("GET", CONFIGMAPS, params={"fieldSelector": "data.x=1"})
    assert status == 400


async def test_limit_and_continue_page_through_everything_once(api):
    await _configmaps(api, 7)
    seen, token, pages = [], None, 0
    while True:
        params = {"limit": "3", **({"continue": token} if token else {})}
        page = await api.ok("GET", CONFIGMAPS, params=params)
        seen += [o["metadata"]["name"] for o in page["items"]]
        pages += 1
        token = page["metadata"].get("continue")
        if not token:
            break
    assert seen == [f"c{i}" for i in range(7)] and pages == 3


async def test_table_response_carries_printer_columns(widgets):
    await widgets.ok("POST", WIDGETS, widget("w", replicas=2))
    await widgets.ok("PATCH", f"{WIDGETS}/w/status", {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
                     content_type="application/merge-patch+json")
    table = await widgets.ok("GET", WIDGETS, headers={"Accept": TABLE})
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Ready", "Size", "Replicas", "Age"]
    cells = table["rows"][0]["cells"]
    assert cells[:4] == ["w", "True", "small", 2] and cells[4].endswith("s")
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


async def _watch(session, url: str, params: dict[str, str], limit: int) -> list[dict]:
    events = []
    async with session.get(url, params={"watch": "true", **params}) as response:
        async for line in response.content:
            events.append(json.loads(line))
            if len(events) >= limit:
                break
    return events


async def test_watch_resumes_from_a_resource_version(api):
    first = await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "a"}})
    await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "b"}})
    await api.ok("DELETE", f"{CONFIGMAPS}/a")
    events = await _watch(api.session, api.url + CONFIGMAPS,
                          {"resourceVersion": first["metadata"]["resourceVersion"]}, 2)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "b"), ("DELETED", "a")]


async def test_watch_without_resource_version_starts_with_initial_events(api):
    await _configmaps(api, 2)
    events = await _watch(api.session, api.url + CONFIGMAPS, {}, 2)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "c0"), ("ADDED", "c1")]


async def test_send_initial_events_is_refused_as_with_the_watch_list_feature_gate_off(api):
    # Kubernetes 1.33 serves watch-list streaming only behind its WatchList feature gate, off by default
    status, body, _ = await api.call("GET", CONFIGMAPS, params={
        "watch": "true", "sendInitialEvents": "true", "resourceVersionMatch": "NotOlderThan"})
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["details"]["causes"] == [{"reason": "FieldValueForbidden", "field": "sendInitialEvents", "message": (
        "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled")}]


async def test_watch_sends_bookmarks_when_asked_and_ends_at_its_timeout():
    # as the watch cache does: bookmarks only of a resourceVersion past the watch's start, every bookmark
    # interval and last 2 s before the deadline; then the stream ends at timeoutSeconds
    sandbox = KubeSandbox(bookmark_interval=0.05)
    await sandbox.start()
    try:
        async with aiohttp.ClientSession() as session:
            url = sandbox.url + CONFIGMAPS
            quiet = {"watch": "true", "resourceVersion": str(sandbox.store.rv), "allowWatchBookmarks": "true",
                     "timeoutSeconds": "3"}
            async with asyncio.timeout(30), session.get(url, params=quiet) as response:
                nothing_new = [json.loads(line) async for line in response.content]  # ends only if the server closes
            async with asyncio.timeout(30), session.get(url, params=quiet) as response:
                async with session.post(url, json={"metadata": {"name": "c"}}) as created:
                    assert created.status == 201
                lines = [json.loads(line) async for line in response.content]
    finally:
        await sandbox.stop()
    assert nothing_new == []
    assert lines[0]["type"] == "ADDED" and len(lines) > 2 and {e["type"] for e in lines[1:]} == {"BOOKMARK"}
    assert lines[-1]["object"]["metadata"] == {"resourceVersion": lines[0]["object"]["metadata"]["resourceVersion"],
                                               "creationTimestamp": None}


async def test_watch_from_beyond_the_history_window_is_410_gone():
    sandbox = KubeSandbox(history=Window(lower=3, fresh=0))  # no change is fresh: three kept
    await sandbox.start()
    try:
        async with aiohttp.ClientSession() as session:
            from tests.kube.conftest import Api

            api = Api(session, sandbox.url)
            first = await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "c"}})
            for i in range(4):
                await api.ok("PATCH", f"{CONFIGMAPS}/c", {"data": {"i": str(i)}},
                             content_type="application/merge-patch+json")
            events = await _watch(session, api.url + CONFIGMAPS,
                                  {"resourceVersion": first["metadata"]["resourceVersion"]}, 1)
            recent = await _watch(session, api.url + CONFIGMAPS, {"resourceVersion": str(sandbox.store.rv - 2)}, 2)
    finally:
        await sandbox.stop()
    assert events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"
    assert [e["type"] for e in recent] == ["MODIFIED", "MODIFIED"]


async def test_watch_with_label_selector_sees_objects_leave_and_enter(api):
    created = await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "c", "labels": {"team": "a"}}})
    await api.ok("PATCH", f"{CONFIGMAPS}/c", {"metadata": {"labels": {"team": "b"}}},
                 content_type="application/merge-patch+json")
    await api.ok("PATCH", f"{CONFIGMAPS}/c", {"metadata": {"labels": {"team": "a"}}},
                 content_type="application/merge-patch+json")
    events = await _watch(api.session, api.url + CONFIGMAPS, {
        "resourceVersion": created["metadata"]["resourceVersion"], "labelSelector": "team=a"}, 2)
    assert [e["type"] for e in events] == ["DELETED", "ADDED"]


@pytest.mark.parametrize("namespace", ["default", "other"])
async def test_namespaced_watch_sees_only_its_namespace(api, namespace):
    await api.ok("POST", "/api/v1/namespaces", {"metadata": {"name": "other"}})
    start = await api.ok("GET", CONFIGMAPS)
    await api.ok("POST", "/api/v1/namespaces/other/configmaps", {"metadata": {"name": "x"}})
    await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "y"}})
    events = await _watch(api.session, f"{api.url}/api/v1/namespaces/{namespace}/configmaps",
                          {"resourceVersion": start["metadata"]["resourceVersion"]}, 1)
    assert events[0]["object"]["metadata"]["namespace"] == namespace


async def test_watch_as_table_sends_rows_like_kubectl_get_watch(widgets):
    created = await widgets.ok("POST", WIDGETS, widget("w", replicas=2))
    await widgets.ok("PATCH", f"{WIDGETS}/w", {"spec": {"replicas": 3}}, content_type="application/merge-patch+json")
    params = {"watch": "true", "resourceVersion": created["metadata"]["resourceVersion"]}
    async with widgets.session.get(widgets.url + WIDGETS, params=params, headers={"Accept": TABLE}) as response:
        event = json.loads(await response.content.readline())
    assert event["type"] == "MODIFIED" and event["object"]["kind"] == "Table"
    assert event["object"]["rows"][0]["cells"][:4] == ["w", None, "small", 3]


async def test_event_table_shows_last_seen_as_an_age(api):
    await api.ok("POST", "/api/v1/namespaces/default/events", {
        "metadata": {"name": "e"}, "involvedObject": {"kind": "Widget", "name": "w"}, "reason": "Tested",
        "message": "hi", "type": "Normal", "lastTimestamp": "2020-01-01T00:00:00Z"})
    table = await api.ok("GET", "/api/v1/namespaces/default/events", headers={"Accept": TABLE})
    names = [column["name"] for column in table["columnDefinitions"]]
    assert names == ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count",
                     "Name"]  # as kubectl get events -o wide prints them
    cells = dict(zip(names, table["rows"][0]["cells"], strict=True))
    assert cells["Last Seen"].endswith("d") and "y" in cells["Last Seen"]
    assert [cells[n] for n in ("Type", "Reason", "Object", "Message", "Count")] == [
        "Normal", "Tested", "widget/w", "hi", 1]
