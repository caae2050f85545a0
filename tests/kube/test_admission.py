"""Custom resources are admitted by their CRD: defaults, pruning, schema and CEL refusals naming the field."""

from __future__ import annotations

from tests.kube.conftest import WIDGETS, widget

MERGE = "application/merge-patch+json"


def _fields(body: dict) -> list[str]:
    return [cause["field"] for cause in body["details"]["causes"]]


async def test_defaults_are_applied_on_create(widgets):
    created = await widgets.ok("POST", WIDGETS, widget("w"))
    assert created["spec"] == {"size": "small", "color": "blue", "replicas": 1, "maxReplicas": 3}


async def test_schema_refusals_are_422_invalid_naming_each_field(widgets):
    status, body, _ = await widgets.call("POST", WIDGETS, {
        "apiVersion": "test.qxo.dev/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"size": "huge", "color": "Blue!", "replicas": -1}})
    assert status == 422 and body["reason"] == "Invalid" and body["kind"] == "Status"
    assert {"spec.size", "spec.color", "spec.replicas"} <= set(_fields(body))
    assert body["message"].startswith('Widget.test.qxo.dev "w" is invalid')
    status, body, _ = await widgets.call("POST", WIDGETS, {
        "apiVersion": "test.qxo.dev/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}})
    assert status == 422 and _fields(body)[0] == "spec.size"


async def test_cel_rules_refuse_on_create_and_on_patch(widgets):
    status, body, _ = await widgets.call("POST", WIDGETS, widget("w", replicas=5))
    assert status == 422 and "replicas must not exceed maxReplicas" in body["message"]
    assert _fields(body) == ["spec.replicas"]
    await widgets.ok("POST", WIDGETS, widget("w"))
    status, body, _ = await widgets.call("PATCH", f"{WIDGETS}/w", {"spec": {"replicas": 4}}, content_type=MERGE)
    assert status == 422
    assert (await widgets.ok("GET", f"{WIDGETS}/w"))["spec"]["replicas"] == 1


async def test_transition_rules_see_the_old_object(widgets):
    await widgets.ok("POST", WIDGETS, widget("w", flavor="mint"))
    status, body, _ = await widgets.call("PATCH", f"{WIDGETS}/w", {"spec": {"flavor": "lime"}}, content_type=MERGE)
    assert status == 422 and _fields(body) == ["spec.flavor"] and "flavor is immutable" in body["message"]
    same = await widgets.ok("PATCH", f"{WIDGETS}/w", {"spec": {"flavor": "mint", "size": "large"}},
                            content_type=MERGE)
    assert same["spec"]["size"] == "large"


async def test_unknown_fields_are_pruned_warned_or_refused(widgets):
    body = widget("w", colour="red")
    status, error, _ = await widgets.call("POST", WIDGETS, body, params={"fieldValidation": "Strict"})
    assert status == 400 and error["message"] == (
        'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.colour"')
    status, created, headers = await widgets.call("POST", WIDGETS, body)
    assert status == 201 and "colour" not in created["spec"]
    assert 'unknown field \\"spec.colour\\"' in headers["Warning"]


async def test_status_is_admitted_too(widgets):
    await widgets.ok("POST", WIDGETS, widget("w"))
    status, body, _ = await widgets.call("PATCH", f"{WIDGETS}/w/status",
                                         {"status": {"conditions": [{"type": "Ready"}]}}, content_type=MERGE)
    assert status == 422 and _fields(body)[0] == "status.conditions[0].status"


async def test_a_changed_crd_is_enforced_from_then_on(widgets):
    crd = await widgets.ok("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.qxo.dev")
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["size"]["enum"] \
        .append("huge")
    await widgets.ok("PUT", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.qxo.dev", crd)
    assert (await widgets.ok("POST", WIDGETS, widget("w", size="huge")))["spec"]["size"] == "huge"
