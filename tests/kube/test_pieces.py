"""Table-driven checks of the pure pieces: patches, printer-column JSONPath, ages, selectors, protobuf."""

from __future__ import annotations

import datetime as dt

import pytest

from qxo.sandbox.kube import patches, protobuf, selectors
from qxo.sandbox.kube.errors import ApiError
from qxo.sandbox.kube.resources import builtin_types
from qxo.sandbox.kube.tables import human_duration, json_path
from qxo.sandbox.mergepatch import merge_patch

DOC = {"metadata": {"name": "a"}, "spec": {"list": [1, 2], "map": {"k": "v"}}}


@pytest.mark.parametrize(("ops", "expected"), [
    ([{"op": "add", "path": "/spec/list/-", "value": 3}], [1, 2, 3]),
    ([{"op": "add", "path": "/spec/list/0", "value": 0}], [0, 1, 2]),
    ([{"op": "replace", "path": "/spec/list/1", "value": 9}], [1, 9]),
    ([{"op": "remove", "path": "/spec/list/0"}], [2]),
    ([{"op": "copy", "from": "/spec/list/0", "path": "/spec/list/-"}], [1, 2, 1]),
    ([{"op": "move", "from": "/spec/list/0", "path": "/spec/list/-"}], [2, 1]),
])
def test_json_patch_operations(ops, expected):
    assert patches.json_patch(DOC, ops)["spec"]["list"] == expected
    assert DOC["spec"]["list"] == [1, 2]  # the stored object is never touched


@pytest.mark.parametrize("ops", [
    [{"op": "test", "path": "/metadata/name", "value": "b"}],
    [{"op": "remove", "path": "/spec/missing"}],
    [{"op": "add", "path": "/spec/list/7", "value": 1}],
    [{"op": "jump", "path": "/spec"}],
    [{"path": "/spec"}],
])
def test_json_patch_failures_are_422(ops):
    with pytest.raises(ApiError) as error:
        patches.json_patch(DOC, ops)
    assert error.value.code == 422


@pytest.mark.parametrize(("op", "says"), [
    ({"op": "test", "path": "/metadata/name", "value": "b"}, "testing value /metadata/name failed"),
    ({"op": "test", "path": "/spec/nothing", "value": 1}, "testing value /spec/nothing failed"),
    ({"op": "remove", "path": "/spec/missing"}, "remove operation does not apply: doc is missing path: /spec/missing"),
    ({"op": "add", "path": "/spec/list/7", "value": 1}, "bad index /spec/list/7"),
    ({"op": "add", "path": "/spec/none/x", "value": 1}, "path '/spec/none/x' does not exist"),
    ({"op": "move", "from": "/spec/gone", "path": "/spec/x"}, "path '/spec/gone' does not exist"),
    ({"op": "add", "path": "spec", "value": 1}, "invalid path 'spec'"),
    ({"op": "add", "path": "/spec/x"}, "malformed operation"),
    ({"op": "jump", "path": "/spec"}, "unknown operation 'jump'"),
])
def test_json_patch_failures_say_which_operation_in_the_servers_words(op, says):
    with pytest.raises(ApiError) as error:
        patches.json_patch(DOC, [{"op": "add", "path": "/spec/ok", "value": 1}, op])
    assert error.value.message.endswith(says)


def test_json_patch_failures_never_quote_the_document():
    # A PATCH on a Secret may come from someone who can patch but not read it.
    secret = {"metadata": {"name": "s"}, "data": {"password": "RkFLRS1zZWNyZXQ="}}
    for op in ({"op": "test", "path": "/data/password", "value": "guess"},
               {"op": "test", "path": "/data/other", "value": "x"},
               {"op": "replace", "path": "/data/other/x", "value": "x"},
               {"op": "move", "from": "/data/nothing", "path": "/data/x"}):
        with pytest.raises(ApiError) as error:
            patches.json_patch(secret, [op])
        assert "RkFLRS1zZWNyZXQ=" not in error.value.message and "password'" not in error.value.message


def test_json_patch_replace_of_a_missing_member_adds_it_as_the_api_server_does():
    # evanphx/json-patch v4, which the API server applies JSON patches with, replaces a missing key of an
    # existing object as if it were added; a missing parent is still an error
    assert patches.json_patch(DOC, [{"op": "replace", "path": "/spec/map/absent", "value": 1}])["spec"]["map"][
        "absent"] == 1
    with pytest.raises(ApiError) as error:
        patches.json_patch(DOC, [{"op": "replace", "path": "/spec/none/x", "value": 1}])
    assert error.value.code == 422


def test_merge_patch_is_rfc_7386():
    assert merge_patch({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": None}, "d": [2], "e": {"f": None}}) \
        == {"a": {"c": 2}, "d": [2], "e": {}}


def test_strategic_merge_patch_directives():
    current = {"metadata": {"ownerReferences": [{"uid": "1", "name": "a"}, {"uid": "2", "name": "b"}]},
               "data": {"x": "1", "y": "2"}}
    patched = patches.strategic_merge_patch(current, {
        "metadata": {"ownerReferences": [{"uid": "2", "$patch": "delete"}, {"uid": "3", "name": "c"}]},
        "data": {"$patch": "replace", "z": "3"},
    })
    # the patch's items in the patch's order, then the live-only ones (normalizeElementOrder, mergeSortedSlice)
    assert [o["uid"] for o in patched["metadata"]["ownerReferences"]] == ["3", "1"]
    assert patched["data"] == {"z": "3"}


@pytest.mark.parametrize(("path", "expected"), [
    (".spec.size", ["small"]),
    (".status.conditions[?(@.type==\"Ready\")].status", ["True"]),
    (".status.conditions[*].type", ["Synced", "Ready"]),
    (".status.conditions[1].reason", ["Done"]),
    ("{.spec.missing}", []),
])
def test_printer_column_json_path(path, expected):
    obj = {"spec": {"size": "small"}, "status": {"conditions": [
        {"type": "Synced", "status": "False"}, {"type": "Ready", "status": "True", "reason": "Done"}]}}
    assert json_path(obj, path) == expected


@pytest.mark.parametrize(("seconds", "shown"), [
    (5, "5s"), (119, "119s"), (150, "2m30s"), (600, "10m"), (4 * 3600 + 60, "4h1m"), (30 * 3600, "30h"),
    (3 * 86400 + 3600, "3d1h"), (100 * 86400, "100d"), (800 * 86400, "2y70d"),
])
def test_ages_print_like_kubectl(seconds, shown):
    then = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert human_duration(then) == shown


def test_selectors_refuse_what_they_cannot_parse():
    secrets = next(t for t in builtin_types() if t.plural == "secrets")
    with pytest.raises(ApiError):
        selectors.label_matcher("a in (b")
    assert selectors.field_matcher("type=Opaque", secrets)({"type": "Opaque"})
    with pytest.raises(ApiError):
        selectors.field_matcher("spec.x=1", secrets)


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_protobuf_secret_envelope_decodes():
    meta = _field(1, b"tok") + _field(11, _field(1, b"app") + _field(2, b"qxo"))
    secret = _field(1, meta) + _field(2, _field(1, b"k") + _field(2, b"\x00\x01")) + _field(3, b"Opaque")
    body = protobuf.MAGIC + _field(1, _field(1, b"v1") + _field(2, b"Secret")) + _field(2, secret)
    assert protobuf.decode(body) == {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                     "metadata": {"name": "tok", "labels": {"app": "qxo"}}, "data": {"k": "AAE="}}


def test_protobuf_of_other_kinds_is_refused_with_415():
    body = protobuf.MAGIC + _field(1, _field(1, b"v1") + _field(2, b"Pod")) + _field(2, b"")
    with pytest.raises(ApiError) as error:
        protobuf.decode(body)
    assert error.value.code == 415
