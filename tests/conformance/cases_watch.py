"""Watches: from a resourceVersion, with selectors, bookmarks, and 410 Gone.

Bookmarks are timing: the real server sends them every minute and 2 s before a watch's deadline, and only
of a resourceVersion past the one the watch started from. The cases write during the watch so that one is due.

The real server answers watches from its watch cache, whose window is counted in events and time, so
"too old" depends on its history. The 410 cases are built so it cannot: a resourceVersion from before
the Widget CRD was created (every server started the resource's history at or after that point) and
resourceVersion 1, older than anything a running server keeps.
"""

from __future__ import annotations

from casebuilders import SECRETS, WIDGETS, create, create_widget, delete, merge, release, rv, secret
from conformancekit import Call, Case, Ref, WatchOpen, WatchRead

W = f"{WIDGETS}/w"


def bookmarks_once(events: list) -> list:
    """The events with each run of bookmarks as one: the real server sends one or two before a watch's
    deadline (its periodic and its pre-timeout bookmark can fall together), which no client tells apart."""
    return [e for i, e in enumerate(events) if not (e["type"] == "BOOKMARK" and i and events[i - 1]["type"] ==
                                                     "BOOKMARK")]


def since(saved: str, **query: str) -> dict:
    return {"resourceVersion": rv(saved), **query}


CASES = [
    Case("watch from a resourceVersion: the changes since",
         (WatchOpen("w", WIDGETS, since("w")), WatchRead("w", events=2)),
         setup=(create_widget(save="w"), merge(W, {"spec": {"size": "large"}}), create_widget("v"))),
    Case("watch from a resourceVersion: live changes",
         (WatchOpen("w", WIDGETS, since("w")), merge(W, {"spec": {"size": "large"}}),
          merge(f"{W}/status", {"status": {"observedGeneration": 2}}), delete(W), WatchRead("w", events=3)),
         setup=(create_widget(save="w"),)),
    Case("watch from a resourceVersion: a deletion held by a finalizer, then released",
         (WatchOpen("w", WIDGETS, since("w")), delete(W), release(W), WatchRead("w", events=2)),
         setup=(create_widget(save="w", finalizers=["qxo.dev/test"]),)),
    Case("watch from a list's resourceVersion",
         (WatchOpen("w", WIDGETS, {"resourceVersion": Ref("list", "metadata.resourceVersion")}),
          create_widget("v"), WatchRead("w", events=1)),
         setup=(create_widget(), Call("GET", WIDGETS, save="list"))),
    Case("watch one object by name (fieldSelector)",
         (WatchOpen("w", WIDGETS, since("w", fieldSelector="metadata.name=w")), create_widget("v"),
          merge(W, {"spec": {"size": "large"}}), WatchRead("w", events=1)),
         setup=(create_widget(save="w"),)),
    Case("watch by label: objects entering and leaving the selection",
         (WatchOpen("w", WIDGETS, since("w", labelSelector="team=a")),
          merge(W, {"metadata": {"labels": {"team": "b"}}}),
          merge(f"{WIDGETS}/v", {"metadata": {"labels": {"team": "a"}}}),
          WatchRead("w", events=2)),
         setup=(create_widget(save="w", labels={"team": "a"}), create_widget("v", labels={"team": "b"}))),
    Case("watch a secret from a resourceVersion",
         (WatchOpen("s", SECRETS, since("s")), merge(f"{SECRETS}/s", {"stringData": {"k": "changed"}}),
          WatchRead("s", events=1)),
         setup=(create(SECRETS, secret(), save="s"),)),
    Case("watch without a resourceVersion: ADDED for each existing object",
         (WatchOpen("w", WIDGETS), WatchRead("w", events=2)),
         setup=(create_widget("b"), create_widget("a"))),
    Case("watch from resourceVersion 0: ADDED for each existing object",
         (WatchOpen("w", WIDGETS, {"resourceVersion": "0"}), WatchRead("w", events=2)),
         setup=(create_widget("b"), create_widget("a"))),
    Case("watch with sendInitialEvents: refused while the WatchList feature gate is off",
         (Call("GET", WIDGETS, query={"watch": "true", "sendInitialEvents": "true", "allowWatchBookmarks": "true",
                                      "resourceVersionMatch": "NotOlderThan", "resourceVersion": ""}, message=True),),
         setup=(create_widget(),)),
    Case("watch from a resourceVersion in the future: nothing until the timeout",
         (WatchOpen("w", WIDGETS, {"resourceVersion": "999999999", "timeoutSeconds": "2"}),
          WatchRead("w", seconds=10, until_closed=True)), setup=(create_widget(),)),
    Case("watch with bookmarks until its timeout",
         (WatchOpen("w", WIDGETS, since("w", allowWatchBookmarks="true", timeoutSeconds="4")),
          merge(W, {"spec": {"size": "large"}}), WatchRead("w", seconds=10, until_closed=True, view=bookmarks_once)),
         setup=(create_widget(save="w"),)),
    Case("watch a secret with bookmarks until its timeout",
         (WatchOpen("s", SECRETS, since("s", allowWatchBookmarks="true", timeoutSeconds="4")),
          merge(f"{SECRETS}/s", {"stringData": {"k": "changed"}}),
          WatchRead("s", seconds=10, until_closed=True, view=bookmarks_once)),
         setup=(create(SECRETS, secret(), save="s"),)),
    Case("watch with bookmarks and a timeout under 2 s: no bookmark comes",
         (WatchOpen("w", WIDGETS, since("w", allowWatchBookmarks="true", timeoutSeconds="1")),
          merge(W, {"spec": {"size": "large"}}), WatchRead("w", seconds=10, until_closed=True)),
         setup=(create_widget(save="w"),)),
    Case("watch with a timeout and no bookmarks ends quietly",
         (WatchOpen("w", WIDGETS, since("w", timeoutSeconds="1")), WatchRead("w", seconds=10, until_closed=True)),
         setup=(create_widget(save="w"),)),
    Case("watch from resourceVersion 1: 410 Gone",
         (WatchOpen("w", WIDGETS, {"resourceVersion": "1"}), WatchRead("w", seconds=10, until_closed=True)),
         setup=(create_widget(),)),
    Case("watch from a resourceVersion older than the resource: 410 Gone",
         (WatchOpen("w", WIDGETS, {"resourceVersion": Ref("crd", "metadata.resourceVersion", minus=1)}),
          WatchRead("w", seconds=10, until_closed=True)),
         setup=(Call("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.qxo.dev",
                     save="crd"),)),
    Case("watch from a resourceVersion that is not a number",
         (Call("GET", WIDGETS, query={"watch": "true", "resourceVersion": "abc"}),)),
    Case("watch as a Table",
         (WatchOpen("w", WIDGETS, since("w"), accept="application/json;as=Table;v=v1;g=meta.k8s.io"),
          merge(W, {"spec": {"size": "large"}}), WatchRead("w", events=1)),
         setup=(create_widget(save="w"),)),
]
