"""Merge patch, JSON patch (failed `test` ops and kopf's resourceVersion guard), strategic merge patch
(refused for custom resources, accepted for built-ins) and server-side apply."""

from __future__ import annotations

from casebuilders import SECRETS, WIDGETS, create, create_widget, json_patch, merge, rv, secret
from conformancekit import APPLY, STRATEGIC, Call, Case, Known, Ref

W = f"{WIDGETS}/w"
S = f"{SECRETS}/s"
GUARD = "kopf's guard"
# the sections of docs/kube-sandbox.md that explain the differences recorded here
UNQUOTED = "A patched object that does not decode is not quoted"
OWNERSHIP = "Server-side apply tracks no field ownership"


def guarded(saved: str, *operations: dict) -> list[dict]:
    """A JSON patch as kopf sends it: a test of the resourceVersion first."""
    return [{"op": "test", "path": "/metadata/resourceVersion", "value": rv(saved)}, *operations]


def smp(path: str, patch: dict, **kwargs) -> Call:
    return Call("PATCH", path, patch, content_type=STRATEGIC, **kwargs)


CASES = [
    # -- merge patch --------------------------------------------------------------------------------
    Case("merge patch: change a spec field", (merge(W, {"spec": {"size": "large"}}),), setup=(create_widget(),)),
    Case("merge patch: null removes a field", (merge(W, {"spec": {"flavor": None}}),),
         setup=(create_widget(flavor="lemon"),)),
    Case("merge patch: add and remove labels",
         (merge(W, {"metadata": {"labels": {"a": None, "c": "d"}}}),),
         setup=(create_widget(labels={"a": "b", "keep": "me"}),)),
    Case("merge patch: a list is replaced whole",
         (merge(W, {"metadata": {"finalizers": ["x.dev/b"]}}),), setup=(create_widget(finalizers=["x.dev/a"]),)),
    Case("merge patch: an invalid value is refused naming the field",
         (Call("PATCH", W, {"spec": {"size": "huge"}}, content_type="application/merge-patch+json", message=True),),
         setup=(create_widget(),)),
    Case("merge patch: the CEL rule across fields",
         (Call("PATCH", W, {"spec": {"replicas": 5}}, content_type="application/merge-patch+json", message=True),),
         setup=(create_widget(),)),
    Case("merge patch: a stale resourceVersion in the body",
         (Call("PATCH", W, {"metadata": {"resourceVersion": rv("first")}, "spec": {"size": "large"}},
               content_type="application/merge-patch+json", message=True),),
         setup=(create_widget(save="first"), merge(W, {"spec": {"size": "medium"}}))),
    Case("merge patch: a widget that does not exist", (merge(W, {"spec": {"size": "large"}}),)),
    Case("merge patch: a body that is a list", (Call("PATCH", W, [1], content_type="application/merge-patch+json"),),
         setup=(create_widget(),)),
    Case("merge patch: renaming is refused", (merge(W, {"metadata": {"name": "other"}}),), setup=(create_widget(),)),
    Case("merge patch: moving namespace is refused", (merge(W, {"metadata": {"namespace": "default"}}),),
         setup=(create_widget(),)),
    Case("merge patch: the uid cannot change",
         (merge(W, {"metadata": {"uid": "8b5c2a5e-0000-4000-8000-000000000000"}}),), setup=(create_widget(),)),
    Case("merge patch: an unknown field, fieldValidation Strict",
         (Call("PATCH", W, {"spec": {"shape": "round"}}, content_type="application/merge-patch+json",
               query={"fieldValidation": "Strict"}, message=True),), setup=(create_widget(),),
         known=Known(UNQUOTED, {
             "steps[0].body.details.causes[0].message": [
                 'Invalid value: "(the patched object)": strict decoding error: unknown field "spec.shape"',
                 'Invalid value: "{…}": strict decoding error: unknown field "spec.shape"'],
             "steps[0].body.message": [
                 ' "" is invalid: patch: Invalid value: "(the patched object)": strict decoding error: '
                 'unknown field "spec.shape"',
                 ' "" is invalid: patch: Invalid value: "{…}": strict decoding error: unknown field "spec.shape"']})),
    Case("merge patch: an unknown field, fieldValidation Warn", (merge(W, {"spec": {"shape": "round"}}),),
         setup=(create_widget(),)),
    Case("merge patch: a secret's stringData", (merge(S, {"stringData": {"k": "new"}}),),
         setup=(create(SECRETS, secret()),)),
    Case("merge patch: dryRun=All", (merge(W, {"spec": {"size": "large"}}, query={"dryRun": "All"}),),
         setup=(create_widget(),)),
    # -- JSON patch ---------------------------------------------------------------------------------
    Case("json patch: replace a spec field", (json_patch(W, [{"op": "replace", "path": "/spec/size",
                                                              "value": "medium"}]),), setup=(create_widget(),)),
    Case("json patch: add a label to a widget without labels",
         (json_patch(W, [{"op": "add", "path": "/metadata/labels", "value": {"a": "b"}}]),), setup=(create_widget(),)),
    Case("json patch: a successful test then a change",
         (json_patch(W, [{"op": "test", "path": "/spec/size", "value": "small"},
                         {"op": "replace", "path": "/spec/size", "value": "large"}]),), setup=(create_widget(),)),
    Case("json patch: a failed test changes nothing",
         (json_patch(W, [{"op": "test", "path": "/spec/size", "value": "large"},
                         {"op": "replace", "path": "/spec/size", "value": "medium"}]),), setup=(create_widget(),)),
    Case(f"json patch: {GUARD} with the current resourceVersion",
         (json_patch(W, guarded("w", {"op": "add", "path": "/metadata/finalizers", "value": ["kopf.zalando.org/x"]})),),
         setup=(create_widget(save="w"),)),
    Case(f"json patch: {GUARD} with a stale resourceVersion",
         (json_patch(W, guarded("first", {"op": "add", "path": "/metadata/finalizers",
                                          "value": ["kopf.zalando.org/x"]})),),
         setup=(create_widget(save="first"), merge(W, {"spec": {"size": "large"}}))),
    Case(f"json patch: {GUARD} on status",
         (json_patch(f"{W}/status", guarded("w", {"op": "add", "path": "/status",
                                                  "value": {"observedGeneration": 1}})),),
         setup=(create_widget(save="w"),)),
    Case("json patch: remove a path that does not exist",
         (json_patch(W, [{"op": "remove", "path": "/spec/flavor"}]),), setup=(create_widget(),)),
    Case("json patch: replace a path that does not exist",
         (json_patch(W, [{"op": "replace", "path": "/spec/flavor", "value": "x"}]),), setup=(create_widget(),)),
    Case("json patch: add below a missing parent",
         (json_patch(W, [{"op": "add", "path": "/metadata/annotations/a", "value": "b"}]),), setup=(create_widget(),)),
    Case("json patch: an unknown operation", (json_patch(W, [{"op": "frobnicate", "path": "/spec/size"}]),),
         setup=(create_widget(),)),
    Case("json patch: a body that is an object",
         (Call("PATCH", W, {"op": "add"}, content_type="application/json-patch+json"),), setup=(create_widget(),)),
    Case("json patch: move and copy", (json_patch(W, [{"op": "copy", "from": "/spec/size", "path": "/spec/flavor"},
                                                      {"op": "move", "from": "/spec/flavor", "path": "/metadata/labels",
                                                       "value": None}]),), setup=(create_widget(),)),
    Case("json patch: append a finalizer with /-",
         (json_patch(W, [{"op": "add", "path": "/metadata/finalizers/-", "value": "x.dev/b"}]),),
         setup=(create_widget(finalizers=["x.dev/a"]),)),
    Case("json patch: the result fails the schema",
         (Call("PATCH", W, [{"op": "replace", "path": "/spec/replicas", "value": -1}],
               content_type="application/json-patch+json", message=True),), setup=(create_widget(),)),
    # -- strategic merge patch ----------------------------------------------------------------------
    Case("strategic merge patch: refused for a custom resource", (smp(W, {"spec": {"size": "large"}}, message=True),),
         setup=(create_widget(),)),
    Case("strategic merge patch: accepted for a secret", (smp(S, {"metadata": {"labels": {"a": "b"}}}),),
         setup=(create(SECRETS, secret()),)),
    Case("strategic merge patch: finalizers merge as a set",
         (smp(S, {"metadata": {"finalizers": ["x.dev/b", "x.dev/a"]}}),),
         setup=(create(SECRETS, secret(finalizers=["x.dev/a"])),)),
    Case("strategic merge patch: $patch delete of an owner reference",
         (smp(S, {"metadata": {"ownerReferences": [{"uid": Ref("a", "metadata.uid"), "$patch": "delete"}]}}),),
         setup=(create_widget("a", save="a"), create_widget("b", save="b"),
                create(SECRETS, {**secret(), "metadata": {"name": "s", "ownerReferences": [
                    {"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "name": n, "uid": Ref(n, "metadata.uid")}
                    for n in ("a", "b")]}}))),
    Case("strategic merge patch: delete one owner reference and add another",
         (smp(S, {"metadata": {"ownerReferences": [
             {"uid": Ref("b", "metadata.uid"), "$patch": "delete"},
             {"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "name": "c", "uid": Ref("c", "metadata.uid")}]}}),),
         setup=(create_widget("a", save="a"), create_widget("b", save="b"), create_widget("c", save="c"),
                create(SECRETS, {**secret(), "metadata": {"name": "s", "ownerReferences": [
                    {"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "name": n, "uid": Ref(n, "metadata.uid")}
                    for n in ("a", "b")]}}))),
    Case("strategic merge patch: finalizers with $setElementOrder, as kubectl apply sends them",
         (smp(S, {"metadata": {"$setElementOrder/finalizers": ["x.dev/c", "x.dev/a"],
                               "finalizers": ["x.dev/c"]}}),),
         setup=(create(SECRETS, secret(finalizers=["x.dev/a", "x.dev/b"])),)),
    Case("merge patch: an invalid label value on a widget",
         (Call("PATCH", W, {"metadata": {"labels": {"a": "not valid!"}}}, content_type="application/merge-patch+json",
               message=True),), setup=(create_widget(),)),
    Case("merge patch: an invalid label value on a secret",
         (Call("PATCH", S, {"metadata": {"labels": {"a": "not valid!"}}}, content_type="application/merge-patch+json",
               message=True),), setup=(create(SECRETS, secret()),)),
    Case("json patch: remove the only finalizer of a widget not being deleted",
         (json_patch(W, [{"op": "remove", "path": "/metadata/finalizers/0"}]),),
         setup=(create_widget(finalizers=["x.dev/a"]),)),
    Case("strategic merge patch: null removes a data key", (smp(S, {"data": {"k": None}}),),
         setup=(create(SECRETS, secret(k="v", other="w")),)),
    # -- server-side apply --------------------------------------------------------------------------
    Case("apply: creates a widget", (Call("PATCH", W, {"apiVersion": "test.qxo.dev/v1", "kind": "Widget",
                                                       "metadata": {"name": "w"}, "spec": {"size": "large"}},
                                          content_type=APPLY, query={"fieldManager": "conformance"}),)),
    Case("apply: without a fieldManager", (Call("PATCH", W, {"apiVersion": "test.qxo.dev/v1", "kind": "Widget",
                                                             "metadata": {"name": "w"}, "spec": {"size": "large"}},
                                                content_type=APPLY, message=True),)),
    Case("apply: changes one field of an existing widget",
         (Call("PATCH", W, {"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "metadata": {"name": "w"},
                            "spec": {"size": "large"}}, content_type=APPLY, query={"fieldManager": "conformance"},
               view=lambda body: f"applied: size {body['spec']['size']}"),),
         setup=(create_widget(flavor="lemon"),), effect=(), known=Known(OWNERSHIP, {
             "steps[0].code": [200, 409],
             "steps[0].body": ["applied: size large", {
                 "code": 409, "reason": "Conflict",
                 "details": {"causes": [{"field": ".spec.size", "reason": "FieldManagerConflict"}]}}]})),
    Case("an unknown patch type", (Call("PATCH", W, {"spec": {}}, content_type="application/x-yaml"),),
         setup=(create_widget(),)),
]
