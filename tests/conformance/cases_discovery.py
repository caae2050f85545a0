"""Discovery and OpenAPI, as kubectl, the kubernetes client and kopf read them: the groups, versions and
resources the sandbox serves (names, kinds, scope, verbs, short names, categories, subresources), the
aggregated documents kubectl asks for first, and the OpenAPI v3 documents `kubectl explain` and kubectl's
fieldValidation check read. The real server serves far more (pods, deployments...); only what the sandbox
serves is compared."""

from __future__ import annotations

from typing import Any

from conformancekit import Call, Case

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
SERVED = {
    "": {"namespaces", "namespaces/status", "configmaps", "secrets", "events"},
    "events.k8s.io": {"events"},
    "coordination.k8s.io": {"leases"},
    "apiextensions.k8s.io": {"customresourcedefinitions", "customresourcedefinitions/status"},
}
OWN_GROUPS = ("qxo.dev", "test.qxo.dev")
GROUPS = (*SERVED, *OWN_GROUPS)
QXO_KINDS = ("QualtricsBrand", "ExtensionInstall", "ExtensionAccount", "AccountGrant", "SalesforceLink")


def _served(group: str, name: str) -> bool:
    return group in OWN_GROUPS or name in SERVED.get(group, set())


def resource_list(body: dict[str, Any]) -> list[dict[str, Any]]:
    group = body["groupVersion"].rpartition("/")[0]
    keys = ("name", "singularName", "namespaced", "kind", "shortNames", "categories")
    return sorted(({**{k: r.get(k) for k in keys}, "verbs": sorted(r.get("verbs") or [])}
                   for r in body["resources"] if _served(group, r["name"])), key=lambda r: r["name"])


def group_list(body: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted((g for g in body["groups"] if g["name"] in GROUPS), key=lambda g: g["name"])


def aggregated(body: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in body["items"]:
        group = item.get("metadata", {}).get("name", "")
        if group not in GROUPS:
            continue
        versions = []
        for version in item["versions"]:
            resources = sorted(({**{k: r.get(k) for k in ("resource", "responseKind", "scope", "singularResource",
                                                   "shortNames", "categories")},
                          "verbs": sorted(r.get("verbs") or []),
                          "subresources": [{**s, "verbs": sorted(s.get("verbs") or [])}
                                           for s in r.get("subresources") or []
                                           if _served(group, f"{r['resource']}/{s['subresource']}")]}
                               for r in version["resources"] if _served(group, r["resource"])),
                               key=lambda r: r["resource"])
            versions.append({"version": version["version"], "resources": resources,
                             "freshness": version.get("freshness")})
        out.append({"group": group, "versions": versions})
    return sorted(out, key=lambda g: g["group"])


def openapi_root(body: dict[str, Any]) -> dict[str, Any]:
    keys = ["api/v1", *(f"apis/{g}/v1" for g in GROUPS if g and g != "qxo.dev"), "apis/qxo.dev/v1alpha1"]
    return {key: body["paths"].get(key, {}).get("serverRelativeURL", "").split("?")[0] for key in keys}


def _schema_view(schema: Any) -> Any:
    """What kubectl explain prints: types, descriptions, required, enums, formats, defaults, nesting."""
    if not isinstance(schema, dict):
        return schema
    keep = ("type", "description", "required", "enum", "format", "default", "x-kubernetes-preserve-unknown-fields")
    out = {k: schema[k] for k in keep if k in schema}
    if "properties" in schema:
        out["properties"] = {k: _schema_view(v) for k, v in schema["properties"].items()
                             if k not in ("apiVersion", "kind", "metadata")}
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            out[key] = _schema_view(schema[key])
    return out


def openapi_kind(kind: str):
    def view(body: dict[str, Any]) -> dict[str, Any]:
        schemas = body["components"]["schemas"]
        name, schema = next((n, s) for n, s in schemas.items()
                            if any(g.get("kind") == kind for g in s.get("x-kubernetes-group-version-kind", [])))
        patch_params = set()
        for path, item in body["paths"].items():
            if path.endswith("/{name}") and "patch" in item:
                if item["patch"].get("x-kubernetes-group-version-kind", {}).get("kind") == kind:
                    patch_params = {p["name"] for p in item["patch"].get("parameters", []) + item.get("parameters", [])}
        return {"component": name, "gvk": schema["x-kubernetes-group-version-kind"],
                "schema": _schema_view(schema), "patch takes fieldValidation": "fieldValidation" in patch_params}
    return view


def version_view(body: dict[str, Any]) -> dict[str, Any]:
    return {key: type(body.get(key)).__name__ for key in ("major", "minor", "gitVersion", "platform")}


CASES = [
    Case("discovery: /version carries what clients read", (Call("GET", "/version", view=version_view),), effect=()),
    Case("discovery: /api", (Call("GET", "/api", view=lambda body: {"kind": body["kind"],
                                                                       "versions": body["versions"]}),), effect=()),
    Case("discovery: /apis lists the groups", (Call("GET", "/apis", view=group_list),), effect=()),
    *(Case(f"discovery: /apis/{group}", (Call("GET", f"/apis/{group}"),), effect=())
      for group in ("qxo.dev", "test.qxo.dev", "coordination.k8s.io", "apiextensions.k8s.io")),
    Case("discovery: /api/v1 resources", (Call("GET", "/api/v1", view=resource_list),), effect=()),
    *(Case(f"discovery: /apis/{gv} resources", (Call("GET", f"/apis/{gv}", view=resource_list),), effect=())
      for gv in ("qxo.dev/v1alpha1", "test.qxo.dev/v1", "coordination.k8s.io/v1", "events.k8s.io/v1",
                 "apiextensions.k8s.io/v1")),
    Case("discovery: an unknown group", (Call("GET", "/apis/nothing.example.com"),), effect=()),
    Case("discovery: an unknown version of a group", (Call("GET", "/apis/qxo.dev/v9"),), effect=()),
    Case("discovery: aggregated /apis (what kubectl reads first)",
         (Call("GET", "/apis", accept=AGGREGATED, view=aggregated),), effect=()),
    Case("discovery: aggregated /api", (Call("GET", "/api", accept=AGGREGATED, view=aggregated),), effect=()),
    Case("openapi v3: the root lists a document per group version", (Call("GET", "/openapi/v3", view=openapi_root),),
         effect=()),
    *(Case(f"openapi v3: {kind} as kubectl explain reads it",
           (Call("GET", "/openapi/v3/apis/qxo.dev/v1alpha1", view=openapi_kind(kind)),), effect=())
      for kind in QXO_KINDS),
    Case("openapi v3: Widget", (Call("GET", "/openapi/v3/apis/test.qxo.dev/v1", view=openapi_kind("Widget")),),
         effect=()),
    Case("openapi v3: a group version that is not served", (Call("GET", "/openapi/v3/apis/nothing.example.com/v1"),),
         effect=()),
]
