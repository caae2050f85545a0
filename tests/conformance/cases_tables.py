"""Table output, as `kubectl get` asks for it: the column definitions and every cell, for custom resources
(their additionalPrinterColumns) and the built-in kinds the sandbox serves."""

from __future__ import annotations

from casebuilders import BRANDS, EVENTS, LEASES, SECRETS, WIDGETS, create, create_widget, merge
from cases_lists import event
from conformancekit import Call, Case, Ref

# what kubectl 1.32 sends for `kubectl get`
KUBECTL_GET = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
               "application/json")
READY = {"conditions": [{"type": "Ready", "status": "True", "reason": "Done", "message": "ok",
                         "lastTransitionTime": "2026-01-01T00:00:00Z"}]}


def table(path: str, **kwargs) -> Call:
    return Call("GET", path, accept=KUBECTL_GET, **kwargs)


BRAND = {"apiVersion": "qxo.dev/v1alpha1", "kind": "QualtricsBrand", "metadata": {"name": "acme"},
         "spec": {"brandId": "acme", "datacenter": "iad1",
                  "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "acme-api-token", "key": "token"}}}}
LEASE = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"},
         "spec": {"holderIdentity": "qxo-operator-0", "leaseDurationSeconds": 15}}

CASES = [
    Case("table: one widget", (table(f"{WIDGETS}/w"),), setup=(create_widget(),), effect=()),
    Case("table: widgets with a Ready condition and without",
         (table(WIDGETS),),
         setup=(create_widget("a", replicas=2), create_widget("b", size="large"),
                merge(f"{WIDGETS}/a/status", {"status": READY})), effect=()),
    Case("table: an empty list of widgets", (table(WIDGETS),), effect=()),
    Case("table: includeObject=Object", (table(WIDGETS, query={"includeObject": "Object"}),),
         setup=(create_widget(),), effect=()),
    Case("table: includeObject=None", (table(WIDGETS, query={"includeObject": "None"}),),
         setup=(create_widget(),), effect=()),
    Case("table: a page of widgets",
         (table(WIDGETS, query={"limit": "1"}, save="p1"),
          table(WIDGETS, query={"limit": "1", "continue": Ref("p1", "metadata.continue")})),
         setup=(create_widget("a"), create_widget("b")), effect=()),
    Case("table: a widget that does not exist", (table(f"{WIDGETS}/w"),), effect=()),
    Case("table: secrets", (table(SECRETS),),
         setup=(create(SECRETS, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                                 "stringData": {"a": "1", "b": "2"}}),), effect=()),
    Case("table: events", (table(EVENTS),), setup=(create(EVENTS, event("e1", "Synced")),), effect=()),
    Case("table: events.k8s.io events", (table("/apis/events.k8s.io/v1/namespaces/{ns}/events"),),
         setup=(create(EVENTS, event("e1", "Synced")),), effect=()),
    Case("table: leases", (table(LEASES),), setup=(create(LEASES, LEASE),), effect=()),
    Case("table: a namespace", (table("/api/v1/namespaces/{ns}"),), effect=()),
    Case("table: the widgets CRD",
         (table("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.qxo.dev"),), effect=()),
    Case("table: a QualtricsBrand (kubectl get qualtrics)", (table(BRANDS),), setup=(create(BRANDS, BRAND),),
         effect=()),
    Case("table: a QualtricsBrand with conditions",
         (table(BRANDS),),
         setup=(create(BRANDS, BRAND), merge(f"{BRANDS}/acme/status", {"status": {
             "conditions": [{"type": "Ready", "status": "False", "reason": "BrandUnreachable", "message": "no",
                             "lastTransitionTime": "2026-01-01T00:00:00Z"},
                            {"type": "Synced", "status": "True", "reason": "Synced", "message": "ok",
                             "lastTransitionTime": "2026-01-01T00:00:00Z"}]}})), effect=()),
]
