"""Discovery documents: /version, /api, /apis, per-group lists and the aggregated form kubectl asks for."""

from __future__ import annotations

import re
from typing import Any

from qxo.sandbox.kube.resources import Registry, ResourceType

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_BETA = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-qxo-sandbox",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Kubernetes' version ordering: GA before beta before alpha, higher numbers first, others last."""
    match = _VERSION.match(version)
    if not match:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0), version)


def sorted_versions(versions: dict[str, list[ResourceType]]) -> list[str]:
    return sorted(versions, key=version_priority)


def accepts_aggregated(accept: str) -> str | None:
    for part in accept.split(","):
        part = part.replace(" ", "")
        if "as=APIGroupDiscoveryList" in part:
            if "v=v2;" in part + ";" or part.endswith("v=v2"):
                return AGGREGATED
            if "v=v2beta1" in part:
                return AGGREGATED_BETA
    return None


def _resource_entry(rtype: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": rtype.plural,
        "singularName": rtype.singular,
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": list(rtype.verbs),
    }
    if rtype.short_names:
        entry["shortNames"] = rtype.short_names
    if rtype.categories:
        entry["categories"] = rtype.categories
    return entry


def resource_list(group: str, version: str, types: list[ResourceType]) -> dict[str, Any]:
    resources = []
    for rtype in types:
        resources.append(_resource_entry(rtype))
        if rtype.status_subresource:
            resources.append({
                "name": f"{rtype.plural}/status", "singularName": "", "namespaced": rtype.namespaced,
                "kind": rtype.kind, "verbs": ["get", "patch", "update"],
            })
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group(group: str, versions: dict[str, list[ResourceType]], typed: bool = True) -> dict[str, Any]:
    """An APIGroup; inside an APIGroupList (`typed=False`) it carries no kind or apiVersion, as on the real server."""
    ordered = sorted_versions(versions)
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in ordered]
    body = {"name": group, "versions": listed, "preferredVersion": listed[0]}
    return {"kind": "APIGroup", "apiVersion": "v1", **body} if typed else body


def api_group_list(registry: Registry) -> dict[str, Any]:
    groups = [api_group(g, versions, typed=False) for g, versions in registry.groups().items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _response_kind(rtype: ResourceType) -> dict[str, str]:
    # the real server names the group and version of a custom resource's kind, and leaves a built-in's empty
    if rtype.crd_name:
        return {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}
    return {"group": "", "version": "", "kind": rtype.kind}


def _aggregated_resource(rtype: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": rtype.plural,
        "responseKind": _response_kind(rtype),
        "scope": "Namespaced" if rtype.namespaced else "Cluster",
        "singularResource": rtype.singular,
        "verbs": list(rtype.verbs),
    }
    if rtype.short_names:
        entry["shortNames"] = rtype.short_names
    if rtype.categories:
        entry["categories"] = rtype.categories
    if rtype.status_subresource:
        entry["subresources"] = [{
            "subresource": "status",
            "responseKind": _response_kind(rtype),
            "verbs": ["get", "patch", "update"],
        }]
    return entry


def aggregated(registry: Registry, core: bool, media_type: str) -> dict[str, Any]:
    items = []
    for group, versions in registry.groups().items():
        if (group == "") != core:
            continue
        items.append({
            "metadata": {"name": group} if group else {},
            "versions": [
                {"version": v, "resources": [_aggregated_resource(t) for t in versions[v]], "freshness": "Current"}
                for v in sorted_versions(versions)
            ],
        })
    api_version = "apidiscovery.k8s.io/v2beta1" if "v2beta1" in media_type else "apidiscovery.k8s.io/v2"
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items}
