"""Updates: unchanged values keep their old errors to themselves (validation ratcheting), changed ones do not."""

import copy

from admissionkit import SCHEMA, displays

from qxo.admission import Admitter


def _tightened(valid: dict) -> dict:
    # An object stored under an older, looser schema: an extension id the current pattern refuses.
    stored = copy.deepcopy(valid)
    stored["spec"]["extensionId"] = "Legacy_ID"
    return stored


PATTERN_ERROR = (
    "spec.extensionId: Invalid value: \"Legacy_ID\": spec.extensionId in body should match '^[a-z][a-z0-9-]*$'"
)


def test_unchanged_invalid_field_is_refused_on_create_but_ratcheted_on_update(admitter, valid):
    stored = _tightened(valid)
    assert displays(admitter.admit(stored)) == [PATTERN_ERROR]
    edited = copy.deepcopy(stored)
    edited["spec"]["deletionPolicy"] = "Orphan"
    assert admitter.admit(edited, old=stored).allowed


def test_changed_invalid_field_is_refused_on_update(admitter, valid):
    stored = _tightened(valid)
    edited = copy.deepcopy(stored)
    edited["spec"]["extensionId"] = "Still_Bad"
    assert displays(admitter.admit(edited, old=stored)) == [PATTERN_ERROR.replace("Legacy_ID", "Still_Bad")]


def test_map_list_items_ratchet_by_key_not_position(valid):
    schema = copy.deepcopy(SCHEMA)
    schema["properties"]["spec"]["properties"]["accounts"]["items"]["properties"]["name"]["maxLength"] = 3
    admitter = Admitter(schema)
    stored = copy.deepcopy(valid)
    stored["spec"]["accounts"] = [{"name": "legacy", "role": "Owner"}]
    edited = copy.deepcopy(stored)
    edited["spec"]["accounts"].insert(0, {"name": "ben", "role": "Owner"})
    assert admitter.admit(edited, old=stored).allowed
    edited["spec"]["accounts"].append({"name": "toolong", "role": "Owner"})
    assert displays(admitter.admit(edited, old=stored))[0] == (
        "spec.accounts[2].name: Too long: may not be more than 3 bytes"
    )


def test_duplicates_already_stored_do_not_block_updates(admitter, valid):
    stored = copy.deepcopy(valid)
    stored["spec"]["domains"] = ["https://a.example.com", "https://a.example.com"]
    edited = copy.deepcopy(stored)
    edited["spec"]["deletionPolicy"] = "Orphan"
    assert admitter.admit(edited, old=stored).allowed
    assert not admitter.admit(edited).allowed


def test_cel_rule_on_an_unchanged_value_is_ratcheted(admitter, valid):
    stored = copy.deepcopy(valid)
    stored["spec"]["sharing"] = {"mode": "Users", "users": []}
    assert not admitter.admit(stored).allowed
    edited = copy.deepcopy(stored)
    edited["metadata"]["labels"] = {"team": "cx"}
    assert admitter.admit(edited, old=stored).allowed
    edited["spec"]["deletionPolicy"] = "Orphan"  # spec changed, so its rules apply again
    assert displays(admitter.admit(edited, old=stored)) == [
        "spec.sharing.users: Required value: sharing mode Users needs at least one user"
    ]
