"""Object semantics over real HTTP: metadata, conflicts, generation, status subresource, patches, deletion."""

from __future__ import annotations

from types import SimpleNamespace

from tests.kube.conftest import WIDGETS, widget

from qxo.sandbox.kube import storage

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


async def test_create_sets_uid_timestamp_and_a_monotonic_resource_version(api):
    first = await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "a"}, "data": {"k": "v"}})
    second = await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "b"}})
    assert first["metadata"]["uid"] != second["metadata"]["uid"]
    assert first["metadata"]["creationTimestamp"].endswith("Z")
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    assert first["kind"] == "ConfigMap" and first["apiVersion"] == "v1"


async def test_stale_resource_version_is_a_409_conflict_on_update_and_patch(widgets):
    created = await widgets.ok("POST", WIDGETS, widget("w"))
    await widgets.ok("PATCH", f"{WIDGETS}/w", {"spec": {"size": "large"}}, content_type="application/merge-patch+json")
    stale = {**created, "spec": {"size": "medium"}}
    status, body, _ = await widgets.call("PUT", f"{WIDGETS}/w", stale)
    assert (status, body["reason"]) == (409, "Conflict")
    assert "the object has been modified" in body["message"]
    status, body, _ = await widgets.call(
        "PATCH", f"{WIDGETS}/w", {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]}},
        content_type="application/merge-patch+json")
    assert status == 409


async def test_duplicate_create_is_409_already_exists_and_missing_is_a_404_status(widgets):
    await widgets.ok("POST", WIDGETS, widget("w"))
    status, body, _ = await widgets.call("POST", WIDGETS, widget("w"))
    assert (status, body["reason"]) == (409, "AlreadyExists")
    status, body, _ = await widgets.call("GET", f"{WIDGETS}/nope")
    assert status == 404
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'widgets.test.qxo.dev "nope" not found', "reason": "NotFound", "code": 404,
                    "details": {"name": "nope", "group": "test.qxo.dev", "kind": "widgets"}}


async def test_update_without_resource_version_is_refused_for_custom_resources(widgets):
    await widgets.ok("POST", WIDGETS, widget("w"))
    status, body, _ = await widgets.call("PUT", f"{WIDGETS}/w", widget("w", size="large"))
    assert status == 422
    assert body["details"]["causes"][0]["field"] == "metadata.resourceVersion"


async def test_generation_starts_at_1_and_moves_only_with_spec(widgets):
    created = await widgets.ok("POST", WIDGETS, widget("w"))
    assert created["metadata"]["generation"] == 1
    labelled = await widgets.ok("PATCH", f"{WIDGETS}/w", {"metadata": {"labels": {"a": "b"}}},
                                content_type="application/merge-patch+json")
    assert labelled["metadata"]["generation"] == 1
    status = await widgets.ok("PATCH", f"{WIDGETS}/w/status", {"status": {"observedGeneration": 1}},
                              content_type="application/merge-patch+json")
    assert status["metadata"]["generation"] == 1
    changed = await widgets.ok("PATCH", f"{WIDGETS}/w", {"spec": {"size": "large"}},
                               content_type="application/merge-patch+json")
    assert changed["metadata"]["generation"] == 2


async def test_status_subresource_separates_status_from_spec(widgets):
    await widgets.ok("POST", WIDGETS, {**widget("w"), "status": {"observedGeneration": 7}})
    fetched = await widgets.ok("GET", f"{WIDGETS}/w")
    assert "status" not in fetched  # status on create is dropped when status is a subresource
    via_status = await widgets.ok("PATCH", f"{WIDGETS}/w/status",
                                  {"spec": {"size": "large"}, "status": {"observedGeneration": 1}},
                                  content_type="application/merge-patch+json")
    assert via_status["spec"]["size"] == "small" and via_status["status"] == {"observedGeneration": 1}
    via_main = await widgets.ok("PATCH", f"{WIDGETS}/w", {"status": {"observedGeneration": 9}},
                                content_type="application/merge-patch+json")
    assert via_main["status"] == {"observedGeneration": 1}
    assert via_main["metadata"]["resourceVersion"] == via_status["metadata"]["resourceVersion"]  # a no-op


async def test_json_patch_applies_and_a_failed_test_is_422(widgets):
    created = await widgets.ok("POST", WIDGETS, widget("w"))
    rv = created["metadata"]["resourceVersion"]
    patched = await widgets.ok("PATCH", f"{WIDGETS}/w", [
        {"op": "test", "path": "/metadata/resourceVersion", "value": rv},
        {"op": "add", "path": "/metadata/finalizers", "value": ["qxo.dev/finalizer"]},
    ], content_type="application/json-patch+json")
    assert patched["metadata"]["finalizers"] == ["qxo.dev/finalizer"]
    status, body, _ = await widgets.call("PATCH", f"{WIDGETS}/w", [
        {"op": "test", "path": "/metadata/resourceVersion", "value": rv},
        {"op": "remove", "path": "/metadata/finalizers"},
    ], content_type="application/json-patch+json")
    assert (status, body["reason"]) == (422, "Invalid")


async def test_merge_patch_null_removes_a_key(api):
    await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}})
    patched = await api.ok("PATCH", f"{CONFIGMAPS}/c", {"data": {"a": None}},
                           content_type="application/merge-patch+json")
    assert patched["data"] == {"b": "2"}


async def test_strategic_merge_patch_is_415_for_custom_resources_and_served_for_configmaps(widgets):
    await widgets.ok("POST", WIDGETS, widget("w"))
    status, body, _ = await widgets.call("PATCH", f"{WIDGETS}/w", {"spec": {"size": "large"}},
                                         content_type="application/strategic-merge-patch+json")
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")
    await widgets.ok("POST", CONFIGMAPS, {"metadata": {"name": "c", "finalizers": ["a/x"]}, "data": {"a": "1"}})
    patched = await widgets.ok("PATCH", f"{CONFIGMAPS}/c",
                               {"metadata": {"finalizers": ["b/y"]}, "data": {"b": "2"}, "$setElementOrder/data": []},
                               content_type="application/strategic-merge-patch+json")
    # finalizers merge as a set, the patch's items first where the live list says nothing of their order
    assert patched["metadata"]["finalizers"] == ["b/y", "a/x"] and patched["data"] == {"a": "1", "b": "2"}


async def test_finalizers_hold_deletion_until_the_last_one_goes(widgets):
    await widgets.ok("POST", WIDGETS, {**widget("w"), "metadata": {"name": "w", "finalizers": ["a/b", "c/d"]}})
    marked = await widgets.ok("DELETE", f"{WIDGETS}/w")
    assert marked["metadata"]["deletionTimestamp"] and marked["metadata"]["generation"] == 2
    status, body, _ = await widgets.call("PATCH", f"{WIDGETS}/w", {"metadata": {"finalizers": ["a/b", "c/d", "e/f"]}},
                                         content_type="application/merge-patch+json")
    assert status == 422 and body["details"]["causes"][0]["field"] == "metadata.finalizers"
    await widgets.ok("PATCH", f"{WIDGETS}/w", {"metadata": {"finalizers": ["c/d"]}},
                     content_type="application/merge-patch+json")
    assert (await widgets.call("GET", f"{WIDGETS}/w"))[0] == 200
    await widgets.ok("PATCH", f"{WIDGETS}/w", {"metadata": {"finalizers": None}},
                     content_type="application/merge-patch+json")
    assert (await widgets.call("GET", f"{WIDGETS}/w"))[0] == 404


async def test_namespaced_objects_need_their_namespace(api):
    status, body, _ = await api.call("POST", "/api/v1/namespaces/nowhere/configmaps", {"metadata": {"name": "c"}})
    assert status == 404 and body["message"] == 'namespaces "nowhere" not found'


async def test_deleting_a_namespace_deletes_its_contents_then_itself(api):
    await api.ok("POST", "/api/v1/namespaces", {"metadata": {"name": "team"}})
    await api.ok("POST", "/api/v1/namespaces/team/configmaps", {"metadata": {"name": "plain"}})
    await api.ok("POST", "/api/v1/namespaces/team/configmaps", {"metadata": {"name": "held", "finalizers": ["x/y"]}})
    await api.ok("DELETE", "/api/v1/namespaces/team")
    assert (await api.ok("GET", "/api/v1/namespaces/team"))["status"]["phase"] == "Terminating"
    assert (await api.call("GET", "/api/v1/namespaces/team/configmaps/plain"))[0] == 404
    status, _body, _ = await api.call("POST", "/api/v1/namespaces/team/configmaps", {"metadata": {"name": "new"}})
    assert status == 403
    await api.ok("PATCH", "/api/v1/namespaces/team/configmaps/held", {"metadata": {"finalizers": None}},
                 content_type="application/merge-patch+json")
    assert (await api.call("GET", "/api/v1/namespaces/team"))[0] == 404


async def test_dry_run_validates_without_storing(api):
    dry = await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "c"}}, params={"dryRun": "All"})
    assert dry["metadata"]["name"] == "c"
    assert (await api.call("GET", f"{CONFIGMAPS}/c"))[0] == 404


async def test_secret_string_data_is_folded_into_data(api):
    created = await api.ok("POST", "/api/v1/namespaces/default/secrets",
                           {"metadata": {"name": "s"}, "stringData": {"token": "abc"}})
    assert created["data"] == {"token": "YWJj"} and "stringData" not in created and created["type"] == "Opaque"


async def test_events_are_one_object_seen_by_both_event_apis(api):
    await api.ok("POST", "/api/v1/namespaces/default/events", {
        "metadata": {"name": "e1"}, "involvedObject": {"kind": "Widget", "name": "w"}, "message": "hi",
        "reason": "Tested", "type": "Normal"})
    seen = await api.ok("GET", "/apis/events.k8s.io/v1/namespaces/default/events/e1")
    assert seen["note"] == "hi" and seen["regarding"]["name"] == "w" and seen["apiVersion"] == "events.k8s.io/v1"
    listed = await api.ok("GET", "/api/v1/namespaces/default/events",
                          params={"fieldSelector": "involvedObject.name=w,involvedObject.kind=Widget"})
    assert [e["metadata"]["name"] for e in listed["items"]] == ["e1"]


async def test_leases_are_stored(api):
    path = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
    await api.ok("POST", path, {"metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}})
    assert (await api.ok("GET", f"{path}/l"))["spec"]["holderIdentity"] == "me"


# -- garbage collection by ownerReferences (background cascading deletion, as Kubernetes' collector does) --

def owned_by(*owners: dict) -> list[dict]:
    return [{"apiVersion": o["apiVersion"], "kind": o["kind"], "name": o["metadata"]["name"],
             "uid": o["metadata"]["uid"], "controller": i == 0} for i, o in enumerate(owners)]


async def test_deleting_an_owner_deletes_its_dependents_and_theirs(widgets, api):
    owner = await widgets.ok("POST", WIDGETS, widget("owner"))
    secret = await api.ok("POST", "/api/v1/namespaces/default/secrets",
                          {"metadata": {"name": "owned", "ownerReferences": owned_by(owner)}})
    grandchild = await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "below", "ownerReferences": owned_by(
        {"apiVersion": "v1", "kind": "Secret", **secret})}})
    bystander = await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "bystander"}})

    await widgets.ok("DELETE", f"{WIDGETS}/owner")

    assert (await api.call("GET", "/api/v1/namespaces/default/secrets/owned"))[0] == 404
    assert (await api.call("GET", f"{CONFIGMAPS}/{grandchild['metadata']['name']}"))[0] == 404
    assert (await api.call("GET", f"{CONFIGMAPS}/{bystander['metadata']['name']}"))[0] == 200


async def test_a_dependent_goes_when_its_last_owner_goes_and_waits_for_its_finalizers(widgets, api):
    first = await widgets.ok("POST", WIDGETS, widget("first"))
    second = await widgets.ok("POST", WIDGETS, widget("second"))
    await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "shared", "finalizers": ["test/hold"],
                                                   "ownerReferences": owned_by(first, second)}})

    await widgets.ok("DELETE", f"{WIDGETS}/first")
    assert not (await api.ok("GET", f"{CONFIGMAPS}/shared"))["metadata"].get("deletionTimestamp")
    await widgets.ok("DELETE", f"{WIDGETS}/second")
    held = await api.ok("GET", f"{CONFIGMAPS}/shared")
    assert held["metadata"]["deletionTimestamp"]  # deleting, held by its finalizer
    await api.ok("PATCH", f"{CONFIGMAPS}/shared", {"metadata": {"finalizers": None}},
                 content_type="application/merge-patch+json")
    assert (await api.call("GET", f"{CONFIGMAPS}/shared"))[0] == 404


async def test_an_object_written_naming_owners_that_do_not_exist_is_collected(widgets, api):
    # the collector checks the owners of every object it sees written, not only when an owner goes
    live = await widgets.ok("POST", WIDGETS, widget("live"))
    gone = {"apiVersion": "test.qxo.dev/v1", "kind": "Widget", "metadata": {
        "name": "gone", "uid": "8b5c2a5e-0000-4000-8000-000000000003"}}
    created = await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "orphan", "ownerReferences": owned_by(gone)}})
    assert created["metadata"]["name"] == "orphan"  # created, then collected
    assert (await api.call("GET", f"{CONFIGMAPS}/orphan"))[0] == 404
    await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "half", "ownerReferences": owned_by(live, gone)}})
    kept = await api.ok("GET", f"{CONFIGMAPS}/half")
    assert [ref["name"] for ref in kept["metadata"]["ownerReferences"]] == ["live"]
    await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "later"}})
    await api.ok("PATCH", f"{CONFIGMAPS}/later", {"metadata": {"ownerReferences": owned_by(gone)}},
                 content_type="application/merge-patch+json")
    assert (await api.call("GET", f"{CONFIGMAPS}/later"))[0] == 404


async def test_an_owner_reference_removed_before_the_owner_goes_keeps_the_object(widgets, api):
    owner = await widgets.ok("POST", WIDGETS, widget("owner"))
    await api.ok("POST", CONFIGMAPS, {"metadata": {"name": "adopted-away", "ownerReferences": owned_by(owner)}})
    await api.ok("PATCH", f"{CONFIGMAPS}/adopted-away", {"metadata": {"ownerReferences": None}},
                 content_type="application/merge-patch+json")

    await widgets.ok("DELETE", f"{WIDGETS}/owner")

    assert (await api.call("GET", f"{CONFIGMAPS}/adopted-away"))[0] == 200
async def test_a_failed_json_patch_on_a_secret_does_not_echo_its_data(api):
    secrets = "/api/v1/namespaces/default/secrets"
    await api.ok("POST", secrets, {"metadata": {"name": "s"}, "stringData": {"password": "FAKE-guess-me"}})
    for op in ({"op": "test", "path": "/data/password", "value": "bm9wZQ=="},
               {"op": "test", "path": "/data/missing", "value": "x"}):
        status, body, _ = await api.call("PATCH", f"{secrets}/s", [op], content_type="application/json-patch+json")
        assert (status, body["reason"]) == (422, "Invalid")
        assert "RkFLRS1ndWVzcy1tZQ==" not in str(body) and "FAKE-guess-me" not in str(body)


async def test_generate_name_draws_five_of_the_servers_characters_and_draws_again_while_taken(api, monkeypatch):
    first = await api.ok("POST", CONFIGMAPS, {"metadata": {"generateName": "gen-"}})
    suffix = first["metadata"]["name"].removeprefix("gen-")
    assert len(suffix) == 5 and set(suffix) <= set(storage.NAME_ALPHABET)
    # The next draw repeats the name taken, the one after is free: the server draws again (KEP-4420).
    draws = iter(suffix + "bbbbb")
    monkeypatch.setattr(storage, "secrets", SimpleNamespace(choice=lambda alphabet: next(draws)))
    second = await api.ok("POST", CONFIGMAPS, {"metadata": {"generateName": "gen-"}})
    assert second["metadata"]["name"] == "gen-bbbbb"
    # Taken at every one of the eight draws: AlreadyExists, as the server says when it gives up.
    monkeypatch.setattr(storage, "secrets", SimpleNamespace(choice=lambda alphabet: "b"))
    status, body, _ = await api.call("POST", CONFIGMAPS, {"metadata": {"generateName": "gen-"}})
    assert (status, body["reason"]) == (409, "AlreadyExists")
