"""CustomResourceDefinitions as `kubectl apply -f crds/` meets them: accepted, refused, and what they serve."""

from __future__ import annotations

from typing import Any

from casebuilders import CRDS
from conformancekit import Await, Call, Case, Known

GROUP = "{ns}.conformance.qxo.dev"
NAME = f"things.{GROUP}"


def crd(schema: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    spec = {
        "group": GROUP, "scope": "Namespaced",
        "names": {"plural": "things", "singular": "thing", "kind": "Thing", "listKind": "ThingList"},
        "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                      "schema": {"openAPIV3Schema": schema or {
                          "type": "object", "properties": {"spec": {"type": "object", "properties": {
                              "size": {"type": "string", "maxLength": 10}}}}}}}],
        **changes,
    }
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": NAME}, "spec": spec}


def crd_view(body: dict[str, Any]) -> dict[str, Any]:
    """What kubectl and the table read of a CRD once it is served: its names and conditions."""
    conditions = {c["type"]: c["status"] for c in (body.get("status") or {}).get("conditions") or []}
    return {"names": (body.get("status") or {}).get("acceptedNames"), "spec.names": body["spec"]["names"],
            "established": conditions.get("Established"), "namesAccepted": conditions.get("NamesAccepted"),
            "storedVersions": (body.get("status") or {}).get("storedVersions")}


# a rule over a list and strings without bounds: the real server's cost estimate is beyond its budget
UNBOUNDED = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
    "cidrs": {"type": "array", "items": {"type": "string"}}},
    "x-kubernetes-validations": [{"rule": "self.cidrs.all(a, self.cidrs.all(b, a == b || !cidr(a).containsCIDR(b)))",
                                  "messageExpression": "'overlapping CIDRs in ' + self.cidrs.join(', ')"}]}}}

# how the real server refuses it: the rule and its message expression over budget (each reported twice), then
# the schema as a whole over the per-CRD budget
SCHEMA = "spec.validation.openAPIV3Schema"
RULE = f"{SCHEMA}.properties[spec].x-kubernetes-validations[0]"
OVER_BUDGET = [{"field": f"{RULE}.{key}", "reason": "FieldValueForbidden"} for key in ("rule", "messageExpression")]

CASES = [
    Case("crd: created, then established with its names",
         (Call("POST", CRDS, crd(), view=lambda body: body["spec"]["names"]),
          Await(f"{CRDS}/{NAME}", code=200, until=lambda body: crd_view(body)["established"] == "True"),
          Call("GET", f"{CRDS}/{NAME}", view=crd_view)), effect=(), cleanup=(f"{CRDS}/{NAME}",)),
    Case("crd: a name that is not plural.group", (Call("POST", CRDS, {**crd(), "metadata": {"name": "things.other"}},
                                                       message=True),), effect=()),
    Case("crd: no storage version", (Call("POST", CRDS, crd(versions=[{**crd()["spec"]["versions"][0],
                                                                       "storage": False}])),), effect=()),
    Case("crd: an unknown scope", (Call("POST", CRDS, crd(scope="Global")),), effect=()),
    Case("crd: a CEL rule beyond the real server's cost budget",
         (Call("POST", CRDS, crd(UNBOUNDED), view=lambda body: "created"),), effect=(), cleanup=(f"{CRDS}/{NAME}",),
         known=Known("The CEL cost budget is not estimated", {
             "steps[0].code": [201, 422],
             "steps[0].body": ["created", {
                 "code": 422, "reason": "Invalid",
                 "details": {"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition", "name": NAME,
                             "causes": [*OVER_BUDGET * 2, {"field": SCHEMA, "reason": "FieldValueForbidden"}]}}]})),
    Case("crd: a CEL rule that does not compile",
         (Call("POST", CRDS, crd({"type": "object", "properties": {"spec": {
             "type": "object", "x-kubernetes-validations": [{"rule": "self.size ==="}],
             "properties": {"size": {"type": "string", "maxLength": 10}}}}})),), effect=(),
         cleanup=(f"{CRDS}/{NAME}",)),
]
