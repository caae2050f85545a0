"""Deletion: finalizers and deletionTimestamp, preconditions, delete collection, terminating namespaces and
garbage collection by ownerReferences."""

from __future__ import annotations

from casebuilders import (
    SECRETS,
    WIDGETS,
    create,
    create_widget,
    delete,
    get,
    json_patch,
    merge,
    put,
    release,
    rv,
    secret,
    uid,
    widget,
    with_rv,
)
from conformancekit import Await, Call, Case, Ref

W = f"{WIDGETS}/w"
S = f"{SECRETS}/s"
HELD = ["qxo.dev/test"]
OTHER_NS = "/api/v1/namespaces/{ns}-t"
HELD_IN_OTHER = "/apis/test.qxo.dev/v1/namespaces/{ns}-t/widgets/w"


def deleting(obj: dict) -> bool:
    """The namespace controller has reached the object (at once in the sandbox, within moments for real)."""
    return bool(obj["metadata"].get("deletionTimestamp"))


def owned_secret(name: str, *owners: str) -> dict:
    refs = [{"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "name": owner, "uid": uid(owner)} for owner in owners]
    return {**secret(name), "metadata": {"name": name, "ownerReferences": refs}}


CASES = [
    Case("delete a widget: the object is answered and gone", (delete(W),), setup=(create_widget(),)),
    Case("delete a secret: a Success Status is answered", (delete(S),), setup=(create(SECRETS, secret()),)),
    Case("delete a widget that does not exist", (delete(W, message=True),)),
    Case("delete a widget with a finalizer: held with a deletionTimestamp", (delete(W),),
         setup=(create_widget(finalizers=HELD),)),
    Case("delete a held widget twice: nothing changes", (delete(W), delete(W)),
         setup=(create_widget(finalizers=HELD),)),
    Case("release the last finalizer: the widget goes", (delete(W), release(W)),
         setup=(create_widget(finalizers=HELD),)),
    Case("release one of two finalizers: still held",
         (delete(W), merge(W, {"metadata": {"finalizers": ["qxo.dev/other"]}})),
         setup=(create_widget(finalizers=[*HELD, "qxo.dev/other"]),)),
    Case("add a finalizer while deleting: forbidden",
         (delete(W), Call("PATCH", W, {"metadata": {"finalizers": [*HELD, "qxo.dev/late"]}},
                          content_type="application/merge-patch+json", message=True)),
         setup=(create_widget(finalizers=HELD),)),
    Case("change the spec while deleting: allowed", (delete(W), merge(W, {"spec": {"size": "large"}})),
         setup=(create_widget(finalizers=HELD),)),
    Case("write status while deleting: allowed",
         (delete(W), merge(f"{W}/status", {"status": {"observedGeneration": 2}})),
         setup=(create_widget(finalizers=HELD),)),
    Case("kopf's finalizer release: json patch guarded by the resourceVersion",
         (delete(W, save="deleting"), json_patch(W, [
             {"op": "test", "path": "/metadata/resourceVersion", "value": rv("deleting")},
             {"op": "remove", "path": "/metadata/finalizers/0"}])),
         setup=(create_widget(finalizers=HELD),)),
    Case("a deletionTimestamp sent by the client is refused",
         (Call("PATCH", W, {"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}},
               content_type="application/merge-patch+json", message=True),),
         setup=(create_widget(finalizers=HELD),)),
    Case("a held secret", (delete(S), get(S)), setup=(create(SECRETS, secret(finalizers=HELD)),)),
    Case("add a finalizer to a held secret: forbidden",
         (delete(S), Call("PATCH", S, {"metadata": {"finalizers": [*HELD, "qxo.dev/late"]}},
                          content_type="application/merge-patch+json", message=True)),
         setup=(create(SECRETS, secret(finalizers=HELD)),)),
    Case("release a held secret: it goes", (delete(S), release(S)), setup=(create(SECRETS, secret(finalizers=HELD)),)),
    Case("delete with a matching resourceVersion precondition",
         (delete(W, {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"resourceVersion": rv("w")}}),),
         setup=(create_widget(save="w"),)),
    Case("delete with a stale resourceVersion precondition",
         (delete(W, {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"resourceVersion": rv("w")}}),),
         setup=(create_widget(save="w"), merge(W, {"spec": {"size": "large"}}))),
    Case("delete with a uid precondition of another object",
         (delete(W, {"kind": "DeleteOptions", "apiVersion": "v1",
                     "preconditions": {"uid": "8b5c2a5e-0000-4000-8000-000000000000"}}),),
         setup=(create_widget(),)),
    Case("delete with dryRun=All: answered, kept", (delete(W, query={"dryRun": "All"}),), setup=(create_widget(),)),
    Case("delete collection by label", (delete(WIDGETS, query={"labelSelector": "team=a"}),),
         setup=(create_widget("a1", labels={"team": "a"}), create_widget("a2", labels={"team": "a"}),
                create_widget("b1", labels={"team": "b"}))),
    Case("delete collection holds the finalized ones",
         (delete(WIDGETS),), setup=(create_widget("free"), create_widget("held", finalizers=HELD))),
    Case("put a held widget without its finalizer: it goes",
         (put(W, with_rv({**widget(), "metadata": {"name": "w", "finalizers": []}}, "deleting")),),
         setup=(create_widget(finalizers=HELD), delete(W, save="deleting"))),
    # -- namespaces ---------------------------------------------------------------------------------
    Case("create in a namespace being deleted: forbidden",
         (delete(OTHER_NS), Call("POST", "/api/v1/namespaces/{ns}-t/secrets", secret(), message=True),
          Await(HELD_IN_OTHER, code=200, until=deleting), release(HELD_IN_OTHER)),
         setup=(create("/api/v1/namespaces", {"metadata": {"name": "{ns}-t"}}),
                create("/apis/test.qxo.dev/v1/namespaces/{ns}-t/widgets", widget(finalizers=HELD))),
         effect=(), cleanup=("/api/v1/namespaces/{ns}-t",)),
    Case("a namespace is created Active with its name label",
         (create("/api/v1/namespaces", {"metadata": {"name": "{ns}-t"}}),), effect=(),
         cleanup=("/api/v1/namespaces/{ns}-t",)),
    Case("a namespace name must be a DNS label",
         (Call("POST", "/api/v1/namespaces", {"metadata": {"name": "{ns}.dotted"}}),), effect=()),
    Case("a namespace being deleted is Terminating",
         (delete(OTHER_NS), get(OTHER_NS), Await(HELD_IN_OTHER, code=200, until=deleting), release(HELD_IN_OTHER),
          Await(OTHER_NS)),
         setup=(create("/api/v1/namespaces", {"metadata": {"name": "{ns}-t"}}),
                create("/apis/test.qxo.dev/v1/namespaces/{ns}-t/widgets", widget(finalizers=HELD))),
         effect=()),
    # -- garbage collection -------------------------------------------------------------------------
    Case("an owned secret is collected with its owner", (delete(W), Await(f"{SECRETS}/owned")),
         setup=(create_widget(save="w"), create(SECRETS, owned_secret("owned", "w")))),
    Case("a secret with another owner left stays, the gone owner's reference dropped",
         (delete(W), Await(f"{SECRETS}/owned", code=200, until=lambda s: len(s["metadata"]["ownerReferences"]) == 1)),
         setup=(create_widget(save="w"), create_widget("v", save="v"),
                create(SECRETS, owned_secret("owned", "w", "v")))),
    Case("an object created with no existing owner is collected",
         (create(SECRETS, {**secret("orphan"), "metadata": {"name": "orphan", "ownerReferences": [
             {"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "name": "gone",
              "uid": "8b5c2a5e-0000-4000-8000-000000000003"}]}}), Await(f"{SECRETS}/orphan", seconds=20))),
    Case("an owner reference is answered as sent", (get(f"{SECRETS}/owned"),),
         setup=(create_widget(save="w"), create(SECRETS, {**owned_secret("owned", "w"), "metadata": {
             "name": "owned", "ownerReferences": [{"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "name": "w",
                                                   "uid": Ref("w", "metadata.uid"), "controller": True,
                                                   "blockOwnerDeletion": True}]}}))),
]
