"""qxo.reconcile.tenancy: the backstop refuses what the policies and brand selectors refuse, in their words."""

from __future__ import annotations

import pytest

from qxo.api import parse_object
from qxo.api.catalog import BY_ID
from qxo.reconcile.outcome import Refused, Waiting
from qxo.reconcile.tenancy import NAMESPACE_NOT_SELECTED, POLICY_DENIED, TenancyView, account_number
from tenancycases import CASES, CLUSTER_BRAND, NAMESPACES, POLICIES, verdict


@pytest.fixture
def view() -> TenancyView:
    view = TenancyView()
    for name, labels in NAMESPACES.items():
        view.saw_namespace(name, {"metadata": {"name": name, "labels": labels}})
    for policy in POLICIES:
        view.saw_policy(policy["metadata"]["name"], policy)
    return view


def judge(view: TenancyView, body: dict) -> Refused | None:
    namespace = body["metadata"]["namespace"]
    obj = parse_object(body)
    try:
        brand_ref = getattr(obj.spec, "brand_ref", None)
        if brand_ref is not None and brand_ref.cluster:
            view.check_brand(CLUSTER_BRAND, namespace)
        view.check_policies(obj, namespace)
    except Refused as refused:
        return refused
    return None


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_backstop_refuses_each_request_as_admission_does(view, case):
    refused, expected = judge(view, case.body), verdict(case)
    if expected is None:
        assert refused is None
    else:
        assert refused.message.split("; ")[0] == expected.text()
        assert refused.reason == (NAMESPACE_NOT_SELECTED if expected.policy_kind == "ClusterQualtricsBrand"
                                  else POLICY_DENIED)


def test_every_verdict_is_named_not_only_the_first(view):
    grant = next(case for case in CASES if case.id == "grant-owner-user").body
    both = {**grant, "spec": {**grant["spec"], "allUsers": {}, "groups": [{"group": "Leads", "access": "Owner"}]}}
    message = judge(view, both).message
    assert message.count("ExtensionPolicy tn-teams") == 3
    assert "(spec.access.allUsers)" in message and "spec.users:" in message and "spec.groups:" in message


def test_a_namespace_the_watch_has_not_shown_is_waited_for_then_judged(view):
    body = next(case for case in CASES if case.id == "grant-all-users").body
    moved = {**body, "metadata": {**body["metadata"], "namespace": "tn-new"}}
    with pytest.raises(Waiting) as waiting:
        judge(view, moved)
    assert waiting.value.reason == "WaitingForNamespace"
    assert view.saw_namespace("tn-new", {"metadata": {"labels": {"qxo-test/tenant": "true"}}})
    assert judge(view, moved).reason == POLICY_DENIED
    assert not view.saw_namespace("tn-new", {"metadata": {"labels": {"qxo-test/tenant": "true"}}})  # unchanged


def test_policies_and_labels_follow_the_watch(view):
    body = next(case for case in CASES if case.id == "grant-all-users").body
    view.saw_policy("tn-teams", None)
    assert judge(view, body) is None
    view.saw_policy("tn-teams", POLICIES[0])
    assert judge(view, body) is not None
    view.saw_namespace("tn-team", {"metadata": {"labels": {"qxo-test/tenant": "false"}}})
    assert judge(view, body) is None and not view.selects("tn-team")
    assert view.saw_namespace("tn-team", None) and "tn-team" not in view.namespaces


def test_the_catalog_and_the_count_are_judged_only_by_the_operator(view):
    account = parse_object({"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionAccount",
                            "metadata": {"name": "x", "namespace": "tn-strict"},
                            "spec": {"installRef": {"name": "i"}, "displayName": "X",
                                     "credentials": {"secretRef": {"name": "s"}}}})
    view.check_policies(account, "tn-strict")  # what admission sees: nothing to refuse
    with pytest.raises(Refused) as refused:
        view.check_policies(account, "tn-strict", extension_id="brandwatch", facts=BY_ID["brandwatch"])
    assert refused.value.message.startswith("ExtensionPolicy tn-strict (spec.extensions.ids): spec.installRef:")
    assert "(spec.extensions.thirdParty): spec.installRef: third-party" in refused.value.message


def test_accounts_are_numbered_oldest_first_then_by_name():
    others = [("b", "2026-01-02T00:00:00Z"), ("a", "2026-01-02T00:00:00Z"), ("old", "2026-01-01T00:00:00Z")]
    assert account_number("old", "2026-01-01T00:00:00Z", others) == 1
    assert account_number("a", "2026-01-02T00:00:00Z", others) == 2
    assert account_number("b", "2026-01-02T00:00:00Z", others) == 3
    assert account_number("new", "2026-01-03T00:00:00Z", others) == 4


def test_the_operators_own_namespace_comes_from_the_pod_and_is_always_a_platform_namespace(tmp_path, monkeypatch):
    from qxo.cli.operator import platform_namespaces
    from qxo.kube.namespace import own_namespace

    mounted = tmp_path / "namespace"
    assert own_namespace({}, mounted) == "qxo-system"
    mounted.write_text("platform-ops\n")
    assert own_namespace({}, mounted) == "platform-ops"
    assert own_namespace({"POD_NAMESPACE": "from-env"}, mounted) == "from-env"
    monkeypatch.setenv("POD_NAMESPACE", "ops")
    assert platform_namespaces(["vault", "ops", "vault"]) == ("ops", "vault")


def test_a_cluster_scoped_referrer_reads_in_the_namespace_its_spec_names_or_the_operators():
    from qxo.reconcile.keys import ObjectKey
    from qxo.reconcile.protocol import Ref

    ref = Ref("Secret", "credentials.apiTokenSecretRef", namespace_at="credentials.namespace")
    brand = ObjectKey("ClusterQualtricsBrand", "", "acme")
    spec = {"credentials": {"apiTokenSecretRef": {"name": "token"}}}
    assert ref.target(brand, spec, frozenset({"ClusterQualtricsBrand"}), "ops") == ObjectKey("Secret", "ops", "token")
    spec["credentials"]["namespace"] = "vault"
    assert ref.target(brand, spec, frozenset(), "ops") == ObjectKey("Secret", "vault", "token")
    # A namespaced referrer keeps to its own namespace, whatever its spec says.
    assert ref.target(ObjectKey("QualtricsBrand", "team", "b"), spec, frozenset(), "ops").namespace == "team"


def test_an_object_attached_to_a_claim_follows_whichever_object_holds_it():
    from qxo.reconcile.index import ObjectIndex
    from qxo.reconcile.keys import ObjectKey

    def claim(key, body):
        return body["spec"].get("claims")

    def attach(key, body):
        wanted = body["spec"].get("wants")
        return ("Install", wanted) if wanted else None

    index = ObjectIndex(claim=claim, attach=attach)
    account = ObjectKey("Account", "team", "a")
    index.remember(account, {"spec": {"wants": "x"}})
    older, newer = ObjectKey("Install", "p", "old"), ObjectKey("Install", "q", "new")
    assert index.dependents(older) == set()
    index.remember(older, {"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"}, "spec": {"claims": "x"}})
    index.remember(newer, {"metadata": {"creationTimestamp": "2026-02-01T00:00:00Z"}, "spec": {"claims": "x"}})
    assert index.dependents(older) == {account} == index.dependents(newer)
    assert index.dependents_transitive(older) == {account}
    assert min(index.claimants("Install", "x"), key=index.age) == older
    index.remember(account, {"spec": {}})  # no longer attached
    assert index.dependents(older) == set()
