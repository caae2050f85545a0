"""Lists: label and field selectors, limit and continue (pages compared, never tokens), across namespaces."""

from __future__ import annotations

from casebuilders import EVENTS, SECRETS, WIDGETS, create, create_widget, get, secret
from conformancekit import Call, Case, Ref

# five widgets in a known mix of labels, created out of name order
FIVE = tuple(create_widget(name, labels=labels) for name, labels in [
    ("e", {"tier": "web", "env": "prod"}),
    ("b", {"tier": "db", "env": "prod"}),
    ("d", {"tier": "web"}),
    ("a", {"tier": "web", "env": "dev"}),
    ("c", {"tier": "cache", "env": "dev"}),
])


def names(body: dict) -> dict:
    """What a client reads of a page: the names in order, whether more follow, and how many."""
    meta = body.get("metadata") or {}
    return {"kind": body.get("kind"), "apiVersion": body.get("apiVersion"),
            "names": [item["metadata"]["name"] for item in body.get("items") or []],
            "continues": bool(meta.get("continue")), "remainingItemCount": meta.get("remainingItemCount")}


def listed(selector: str = "", field: str = "", **kwargs) -> Call:
    query = {**({"labelSelector": selector} if selector else {}), **({"fieldSelector": field} if field else {})}
    return Call("GET", WIDGETS, query={**query, **kwargs.pop("query", {})}, view=names, **kwargs)


def event(name: str, reason: str, kind: str = "Widget", type_: str = "Normal") -> dict:
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name},
            "involvedObject": {"apiVersion": "test.qxo.dev/v1", "kind": kind, "name": "w", "namespace": "{ns}"},
            "reason": reason, "message": f"{reason} happened", "type": type_,
            "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z", "count": 1,
            "source": {"component": "qxo"}}


LABELS = [
    ("equality", "tier=web"), ("double equals", "tier==web"), ("inequality", "tier!=web"),
    ("set in", "tier in (web,db)"), ("set notin", "tier notin (web)"), ("exists", "env"), ("not exists", "!env"),
    ("two requirements", "tier=web,env=prod"), ("set and exists", "env in (dev),tier"),
    ("no match", "tier=none"), ("spaces", "tier = web , env"),
]

CASES = [
    Case("list: everything, in name order", (Call("GET", WIDGETS),), setup=FIVE),
    Case("list: an empty collection", (Call("GET", WIDGETS),)),
    *(Case(f"list by label: {what}", (listed(selector),), setup=FIVE, effect=()) for what, selector in LABELS),
    Case("list by label: not a valid selector", (listed("tier in web"),), setup=FIVE, effect=()),
    Case("list by label: an invalid label key", (listed("-tier=web"),), setup=FIVE, effect=()),
    Case("list by field: metadata.name", (listed(field="metadata.name=c"),), setup=FIVE, effect=()),
    Case("list by field: metadata.name inequality", (listed(field="metadata.name!=c"),), setup=FIVE, effect=()),
    Case("list by field: metadata.namespace", (listed(field="metadata.namespace={ns}"),), setup=FIVE, effect=()),
    Case("list by field: a field the kind does not index", (listed(field="spec.size=small", message=True),),
         setup=FIVE, effect=()),
    Case("list by field and label", (listed("tier=web", field="metadata.name!=e"),), setup=FIVE, effect=()),
    Case("list secrets by type", (Call("GET", SECRETS, query={"fieldSelector": "type=Opaque"}, view=names),),
         setup=(create(SECRETS, secret("opaque")), create(SECRETS, {**secret("tls"), "type": "kubernetes.io/tls",
                                                                    "stringData": {"tls.crt": "c", "tls.key": "k"}})),
         effect=()),
    Case("list events by involvedObject and reason",
         (Call("GET", EVENTS, query={"fieldSelector": "involvedObject.kind=Widget,reason=Synced"}, view=names),),
         setup=(create(EVENTS, event("e1", "Synced")), create(EVENTS, event("e2", "Failed", type_="Warning")),
                create(EVENTS, event("e3", "Synced", kind="Gadget"))), effect=()),
    Case("list events by type", (Call("GET", EVENTS, query={"fieldSelector": "type=Warning"}, view=names),),
         setup=(create(EVENTS, event("e1", "Synced")), create(EVENTS, event("e2", "Failed", type_="Warning"))),
         effect=()),
    # -- limit and continue -------------------------------------------------------------------------
    Case("list: limit 2, then every page",
         (listed(query={"limit": "2"}, save="p1"),
          listed(query={"limit": "2", "continue": Ref("p1", "metadata.continue")}, save="p2"),
          listed(query={"limit": "2", "continue": Ref("p2", "metadata.continue")})), setup=FIVE, effect=()),
    Case("list: a limit equal to the count", (listed(query={"limit": "5"}),), setup=FIVE, effect=()),
    Case("list: a limit above the count", (listed(query={"limit": "50"}),), setup=FIVE, effect=()),
    Case("list: limit with a label selector, every page",
         (listed("tier=web", query={"limit": "2"}, save="p1"),
          listed("tier=web", query={"limit": "2", "continue": Ref("p1", "metadata.continue")})), setup=FIVE, effect=()),
    Case("list: the list metadata with limit",
         (Call("GET", WIDGETS, query={"limit": "2"}, view=lambda body: sorted(body["metadata"])),), setup=FIVE,
         effect=()),
    Case("list: the list metadata without limit",
         (Call("GET", WIDGETS, view=lambda body: sorted(body["metadata"])),), setup=FIVE, effect=()),
    Case("list: the list metadata of secrets with limit",
         (Call("GET", SECRETS, query={"limit": "1"}, view=lambda body: sorted(body["metadata"])),),
         setup=(create(SECRETS, secret("a")), create(SECRETS, secret("b"))), effect=()),
    Case("list: a continue token that is not one", (listed(query={"limit": "2", "continue": "garbage"}),),
         setup=FIVE, effect=()),
    Case("list: a negative limit", (listed(query={"limit": "-1"}),), setup=FIVE, effect=()),
    Case("list: a limit that is not a number", (listed(query={"limit": "two"}),), setup=FIVE, effect=()),
    Case("list: a page after a change keeps the snapshot's membership",
         (listed(query={"limit": "2"}, save="p1"), Call("DELETE", f"{WIDGETS}/c"),
          listed(query={"limit": "2", "continue": Ref("p1", "metadata.continue")})), setup=FIVE, effect=()),
    Case("list across namespaces includes this one",
         (Call("GET", "/apis/test.qxo.dev/v1/widgets", query={"labelSelector": "case={ns}"}, view=names),),
         setup=(create_widget(labels={"case": "{ns}"}),), effect=()),
    Case("list at a resourceVersion the server has not reached",
         (Call("GET", WIDGETS, query={"resourceVersion": "999999999"}),), setup=FIVE, effect=()),
    Case("list by label: a value that is not a label value", (listed("tier=web!"),), setup=FIVE, effect=()),
    Case("list the widgets of a namespace that does not exist",
         (Call("GET", "/apis/test.qxo.dev/v1/namespaces/{ns}-missing/widgets"),), effect=()),
    Case("get a list as a single object's path with labels", (get(f"{WIDGETS}/a", query={"labelSelector": "x=y"}),),
         setup=FIVE, effect=()),
]
