"""Defaulting top-down where the parent exists, pruning of unknown fields, and never mutating the input."""

import copy

from qxo.admission import Admitter


def test_defaults_fill_missing_fields_of_existing_parents(admitter, valid):
    result = admitter.admit(valid)
    spec = result.object["spec"]
    assert spec["deletionPolicy"] == "Delete"
    assert spec["managementPolicy"] == "Manage"
    assert "sharing" not in spec  # no parent, so no sharing.mode default


def test_defaults_apply_inside_list_items_and_present_parents(admitter, valid):
    valid["spec"]["accounts"] = [{"name": "ben"}]
    valid["spec"]["sharing"] = {}
    spec = admitter.admit(valid).object["spec"]
    assert spec["accounts"] == [{"name": "ben", "role": "Viewer"}]
    assert spec["sharing"] == {"mode": "Brand"}


def test_a_defaulted_object_gets_its_own_nested_defaults():
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "default": {},
                "properties": {"policy": {"type": "string", "default": "Delete"}},
            }
        },
    }
    result = Admitter(schema).admit({"metadata": {"name": "x"}})
    assert result.object["spec"] == {"policy": "Delete"}


def test_unknown_fields_are_pruned_and_reported(admitter, valid):
    valid["spec"]["foo"] = 1
    valid["spec"]["accounts"][0]["bar"] = {"deep": True}
    valid["spec"]["settings"] = {"ok": "yes"}
    valid["top"] = "level"
    result = admitter.admit(valid)
    assert sorted(result.pruned) == ["spec.accounts[0].bar", "spec.foo", "top"]
    assert 'unknown field "spec.foo"' in result.unknown_fields()
    assert "foo" not in result.object["spec"]
    assert result.object["spec"]["settings"] == {"ok": "yes"}
    assert result.allowed


def test_preserve_unknown_fields_keeps_everything_below(admitter, valid):
    valid["spec"]["extra"] = {"anything": {"goes": [1, 2]}}
    valid["status"] = {"conditions": [{"type": "Ready"}]}
    result = admitter.admit(valid)
    assert result.object["spec"]["extra"] == {"anything": {"goes": [1, 2]}}
    assert result.object["status"] == {"conditions": [{"type": "Ready"}]}
    assert result.pruned == []


def test_metadata_is_never_pruned(admitter, valid):
    valid["metadata"]["labels"] = {"app": "x"}
    valid["metadata"]["uid"] = "1234"
    result = admitter.admit(valid)
    assert result.object["metadata"] == valid["metadata"]


def test_input_is_never_mutated(admitter, valid):
    valid["spec"]["foo"] = 1
    before = copy.deepcopy(valid)
    result = admitter.admit(valid, old=copy.deepcopy(valid))
    assert valid == before
    result.object["spec"]["domains"].append("https://new.example.com")
    assert valid == before


def test_defaults_are_copied_not_shared(admitter, valid):
    del valid["spec"]["domains"]
    first = admitter.admit(valid).object
    first["spec"]["domains"].append("https://x.example.com")
    second = admitter.admit(valid).object
    assert second["spec"]["domains"] == []


def test_a_schema_without_type_preserves_nothing_unless_asked():
    admitter = Admitter({"type": "object", "properties": {"spec": {"type": "object"}}})
    result = admitter.admit({"metadata": {"name": "x"}, "spec": {"a": 1}})
    assert result.object["spec"] == {}
    assert result.pruned == ["spec.a"]


def test_no_schema_preserves_everything():
    result = Admitter(None).admit({"metadata": {"name": "x"}, "spec": {"a": 1}})
    assert result.object["spec"] == {"a": 1}
    assert result.allowed
