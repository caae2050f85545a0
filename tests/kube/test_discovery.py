"""Discovery, OpenAPI, authentication, request counting and field validation of built-in kinds."""

from __future__ import annotations

import aiohttp
from tests.kube.conftest import widget, widget_crd

from qxo.sandbox.kube import KubeSandbox
from qxo.sandbox.kube.discovery import AGGREGATED

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


async def test_version_and_legacy_discovery(widgets):
    assert (await widgets.ok("GET", "/version"))["minor"] == "32"
    assert (await widgets.ok("GET", "/api"))["versions"] == ["v1"]
    groups = {g["name"]: g for g in (await widgets.ok("GET", "/apis"))["groups"]}
    assert {"apiextensions.k8s.io", "coordination.k8s.io", "events.k8s.io", "test.qxo.dev"} <= set(groups)
    resources = {r["name"]: r for r in (await widgets.ok("GET", "/apis/test.qxo.dev/v1"))["resources"]}
    assert resources["widgets"]["shortNames"] == ["wdg"] and resources["widgets"]["categories"] == ["gadgets"]
    assert resources["widgets/status"]["verbs"] == ["get", "patch", "update"]


async def test_aggregated_discovery_answers_in_its_media_type(widgets):
    accept = f"{AGGREGATED},application/json"
    _status, body, headers = await widgets.call("GET", "/apis", headers={"Accept": accept})
    assert headers["Content-Type"] == AGGREGATED
    assert body["kind"] == "APIGroupDiscoveryList"
    test_group = next(item for item in body["items"] if item["metadata"].get("name") == "test.qxo.dev")
    resource = test_group["versions"][0]["resources"][0]
    assert resource["resource"] == "widgets" and resource["scope"] == "Namespaced"
    assert resource["subresources"][0]["subresource"] == "status"
    _, core, _ = await widgets.call("GET", "/api", headers={"Accept": accept})
    assert "namespaces" in {r["resource"] for r in core["items"][0]["versions"][0]["resources"]}


async def test_a_deleted_crd_stops_being_served_with_its_objects(widgets):
    await widgets.ok("POST", "/apis/test.qxo.dev/v1/namespaces/default/widgets", widget("w"))
    await widgets.ok("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.qxo.dev")
    status, _, _ = await widgets.call("GET", "/apis/test.qxo.dev/v1/namespaces/default/widgets")
    assert status == 404
    assert (await widgets.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                               widget_crd()))[0] == 201
    listed = await widgets.ok("GET", "/apis/test.qxo.dev/v1/namespaces/default/widgets")
    assert listed["items"] == []


async def test_openapi_v3_publishes_schemas_and_field_validation(widgets):
    root = await widgets.ok("GET", "/openapi/v3")
    url = root["paths"]["apis/test.qxo.dev/v1"]["serverRelativeURL"]
    doc = await widgets.ok("GET", url.split("?")[0])
    schema = doc["components"]["schemas"]["dev.qxo.test.v1.Widget"]
    assert schema["x-kubernetes-group-version-kind"] == [{"group": "test.qxo.dev", "kind": "Widget", "version": "v1"}]
    assert schema["properties"]["spec"]["properties"]["size"]["enum"] == ["small", "medium", "large"]
    patch = doc["paths"]["/apis/test.qxo.dev/v1/namespaces/{namespace}/widgets/{name}"]["patch"]
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}


async def test_bearer_token_is_required_when_configured():
    sandbox = KubeSandbox(token="s3cret", tls=False)
    await sandbox.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(sandbox.url + "/api/v1/namespaces") as response:
                body = await response.json()
                assert response.status == 401 and body["reason"] == "Unauthorized"
                assert "s3cret" not in str(body)
            headers = {"Authorization": "Bearer s3cret"}
            async with session.get(sandbox.url + "/api/v1/namespaces", headers=headers) as response:
                assert response.status == 200
    finally:
        await sandbox.stop()


async def test_stats_count_requests_by_verb_and_resource(api):
    await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "c"}})
    await api.ok("GET", f"{CONFIGMAPS}/c")
    await api.ok("GET", CONFIGMAPS)
    stats = await api.ok("GET", "/_sandbox/stats")
    assert stats["requests"] == {"create": {"configmaps": 1}, "get": {"configmaps": 1}, "list": {"configmaps": 1}}
    assert stats["total"] == 3


async def test_field_validation_strict_warn_and_ignore_for_unknown_fields(api):
    body = {"metadata": {"name": "c", "colour": "red"}, "dta": {"a": "b"}}
    status, error, _ = await api.call("POST", CONFIGMAPS, body, params={"fieldValidation": "Strict"})
    assert status == 400 and error["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
        'unknown field "metadata.colour", unknown field "dta"')
    status, created, headers = await api.call("POST", CONFIGMAPS, body, params={"fieldValidation": "Warn"})
    assert status == 201 and 'unknown field \\"dta\\"' in headers["Warning"] and "dta" not in created
    status, _, headers = await api.call("POST", CONFIGMAPS, {**body, "metadata": {"name": "d"}},
                                        params={"fieldValidation": "Ignore"})
    assert status == 201 and "Warning" not in headers


async def test_names_are_validated(api):
    status, body, _ = await api.call("POST", CONFIGMAPS, {"metadata": {"name": "Not_Valid"}})
    assert status == 422 and body["details"]["causes"][0]["field"] == "metadata.name"


async def test_every_served_version_of_a_crd_shares_one_storage(api):
    crd = widget_crd()
    v1 = crd["spec"]["versions"][0]
    v1beta1 = {**v1, "name": "v1beta1", "storage": False}
    crd["spec"]["versions"] = [v1beta1, v1, {**v1, "name": "v1alpha1", "storage": False, "served": False}]
    await api.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    group = await api.ok("GET", "/apis/test.qxo.dev")
    assert [v["version"] for v in group["versions"]] == ["v1", "v1beta1"]
    assert group["preferredVersion"]["version"] == "v1"
    await api.ok("POST", "/apis/test.qxo.dev/v1beta1/namespaces/default/widgets",
                 {"apiVersion": "test.qxo.dev/v1beta1", "kind": "Widget", "metadata": {"name": "w"},
                  "spec": {"size": "small"}})
    seen = await api.ok("GET", "/apis/test.qxo.dev/v1/namespaces/default/widgets/w")
    assert seen["apiVersion"] == "test.qxo.dev/v1" and seen["spec"]["color"] == "blue"
    # a version that is not served is not routed at all: the mux's plain-text 404, as on the real server
    assert (await api.call("GET", "/apis/test.qxo.dev/v1alpha1/namespaces/default/widgets"))[:2] == (
        404, "404 page not found\n")
