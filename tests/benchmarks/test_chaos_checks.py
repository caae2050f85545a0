"""The chaos run's own judges: access comparison and the secret-leak scan must be able to say no."""

from __future__ import annotations

import chaos_checks


def test_access_entries_compare_ids_and_levels():
    users, groups = {"ana@x": "UR_1"}, {"Ops": "GR_1"}
    declared = chaos_checks._declared_access({"users": [{"user": "ana@x", "access": "Owner"}],
                                              "groups": [{"group": "Ops"}]}, users, groups)
    assert declared == {"user:UR_1=Owner", "group:GR_1=User"}
    live = {"users": [{"id": "UR_1", "access": "User"}], "groups": [{"id": "GR_1", "access": "User"}]}
    assert chaos_checks._entries(live) != declared
    assert chaos_checks._entries({**live, "users": [{"id": "UR_1", "access": "Owner"}]}) == declared


def test_leak_scan_names_the_source_but_not_the_value():
    leaks = chaos_checks.leak_scan({"FAKE-secret-value-123"}, {"events": "x FAKE-secret-value-123 y", "log": "clean"})
    assert leaks == ["events: FAKE-s..."]
    assert chaos_checks.leak_scan({"FAKE-secret-value-123"}, {"log": "FAKE-secret-value-12"}) == []
