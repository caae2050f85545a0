"""The chaos run's own judges: access comparison and the secret-leak scan must be able to say no."""

from __future__ import annotations

import base64
from types import SimpleNamespace

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


def test_leak_scan_finds_tokens_of_the_orgs_shape_the_run_never_saw():
    pattern = chaos_checks.access_token_pattern("00D000000000001AAA")
    unseen = "00D000000000001AAA!" + "x" * 40
    leaks = chaos_checks.leak_scan(set(), {"log": f"token {unseen} sent", "status": "orgId 00D000000000001AAA"},
                                   (pattern,))
    assert leaks == ["log: 00D000..."]
    # a token also among the known values is reported once, not twice
    assert chaos_checks.leak_scan({unseen}, {"log": unseen}, (pattern,)) == ["log: 00D000..."]


def test_an_access_list_naming_a_user_twice_counts_as_a_duplicate_grant():
    twice = {"users": [{"id": "UR_1", "access": "User"}, {"id": "UR_1", "access": "Owner"}],
             "groups": [{"id": "GR_1"}]}
    assert chaos_checks._repeated_entries(twice) == 1
    assert chaos_checks._repeated_entries({"users": [{"id": "UR_1"}], "groups": [{"id": "UR_1"}]}) == 0
    assert chaos_checks._repeated_entries(None) == 0


class _Secrets:
    """Secrets by name as the kubernetes client returns them: resourceVersion and base64 data."""

    def __init__(self, secrets: dict[str, tuple[str, dict[str, str]]]) -> None:
        self.secrets = secrets

    def read_namespaced_secret(self, name: str, namespace: str) -> SimpleNamespace:
        version, data = self.secrets[name]
        return SimpleNamespace(metadata=SimpleNamespace(resource_version=version),
                               data={k: base64.b64encode(v.encode()).decode() for k, v in data.items()})


def test_a_link_whose_status_names_an_older_refresh_token_secret_missed_the_rotation():
    link = {"metadata": {"name": "sf-ana"}, "status": {"appliedCredentials": "10/11"},
            "spec": {"oauth": {"clientSecretRef": {"name": "app"}, "refreshTokenSecretRef": {"name": "ana"}}}}
    secrets = {"app": ("10", {"client_secret": "FAKE-s"}), "ana": ("11", {"refresh_token": "FAKE-r"})}
    cluster = SimpleNamespace(list=lambda kind: [link], core=_Secrets(secrets))
    declared = {("SalesforceLink", "sf-ana"): link}
    assert chaos_checks.link_rotations_lost(cluster, declared) == []
    secrets["ana"] = ("12", {"refresh_token": "FAKE-rotated"})
    assert chaos_checks.link_rotations_lost(cluster, declared) == [
        "SalesforceLink/sf-ana: credentials of Secret versions 10/12 not applied (status has 10/11)"]
