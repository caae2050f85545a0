"""qxo.api.policy: the tenancy verdicts, each naming the policy, the rule and the object's field."""

from __future__ import annotations

import pytest

from qxo.api import parse_object
from qxo.api.catalog import BY_ID
from qxo.api.policy import Subject, brand_verdict, policy_verdicts
from qxo.api.selector import LabelSelector
from tenancycases import CASES, POLICIES, verdict


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_shared_table_refuses_by_the_rule_it_says(case):
    found = verdict(case)
    assert (found.rule if found else None) == case.rule


def test_a_verdict_says_policy_rule_field_and_why_in_one_line():
    found = verdict(next(case for case in CASES if case.id == "install-unlisted"))
    assert found.text() == ("ExtensionPolicy tn-teams (spec.extensions.ids): spec.extensionId: extension "
                            "google-sheets is not one this namespace may use (brandwatch, webservice, jira)")
    domain = verdict(next(case for case in CASES if case.id == "install-domain-outside"))
    assert domain.field == "spec.domains"
    assert domain.message.startswith("https://evil.example.org is not under a domain suffix")
    owner = verdict(next(case for case in CASES if case.id == "grant-owner-group"))
    assert (owner.field, owner.message) == ("spec.groups", "Owner access may not be granted in this namespace (Leads)")
    brand = verdict(next(case for case in CASES if case.id == "not-in-brand-selector"))
    assert brand.text() == ("ClusterQualtricsBrand tn-acme (spec.namespaceSelector): spec.brandRef: namespace "
                            "tn-outsider may not use this brand")


def policy(**spec) -> object:
    return parse_object({"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionPolicy", "metadata": {"name": "p"},
                         "spec": {"namespaceSelector": {}, **spec}})


def account(**spec) -> object:
    return parse_object({"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionAccount",
                         "metadata": {"name": "acc", "namespace": "team"},
                         "spec": {"displayName": "A", "credentials": {"secretRef": {"name": "s"}}, **spec}})


def test_an_account_of_a_third_party_or_preview_extension_needs_the_catalog_to_be_judged():
    rules = policy(extensions={"thirdParty": False, "preview": False})
    by_install = account(installRef={"name": "brandwatch"})
    assert policy_verdicts([rules], Subject(by_install, "team", {})) == []  # admission knows nothing more
    third = policy_verdicts([rules], Subject(by_install, "team", {}, extension_id="brandwatch",
                                              facts=BY_ID["brandwatch"]))
    assert [(v.rule, v.field) for v in third] == [("spec.extensions.thirdParty", "spec.installRef")]
    preview = policy_verdicts([rules], Subject(account(brandRef={"kind": "ClusterQualtricsBrand", "name": "acme"},
                                                       extensionId="facebook-reviews"), "team", {},
                                               facts=BY_ID["facebook-reviews"]))
    assert [(v.rule, v.field) for v in preview] == [("spec.extensions.thirdParty", "spec.extensionId"),
                                                    ("spec.extensions.preview", "spec.extensionId")]
    first_party = policy_verdicts([rules], Subject(by_install, "team", {}, facts=BY_ID["webservice"]))
    assert first_party == []


def test_accounts_beyond_the_limit_are_refused_oldest_first():
    rules = policy(accounts={"maxPerNamespace": 2})
    obj = account(installRef={"name": "x"})
    assert policy_verdicts([rules], Subject(obj, "team", {}, account_number=2)) == []
    [over] = policy_verdicts([rules], Subject(obj, "team", {}, account_number=3))
    assert over.text() == ("ExtensionPolicy p (spec.accounts.maxPerNamespace): metadata.name: namespace team may "
                           "hold 2 ExtensionAccounts; this is number 3, oldest first")
    assert policy_verdicts([policy(accounts={"maxPerNamespace": 0})], Subject(obj, "team", {}, account_number=1))


def test_every_policy_selecting_the_namespace_applies_in_name_order_and_others_do_not():
    grant = parse_object({"apiVersion": "qxo.dev/v1alpha1", "kind": "AccountGrant",
                          "metadata": {"name": "g", "namespace": "team"},
                          "spec": {"accountRef": {"name": "a"}, "allUsers": {}}})
    b = parse_object({**POLICIES[0], "metadata": {"name": "b"}, "spec": {"namespaceSelector": {}}})
    a = parse_object({**POLICIES[0], "metadata": {"name": "a"},
                      "spec": {"namespaceSelector": {"matchLabels": {"team": "x"}}}})
    assert [v.policy for v in policy_verdicts([b, a], Subject(grant, "team", {"team": "x"}))] == ["a", "b"]
    assert [v.policy for v in policy_verdicts([b, a], Subject(grant, "team", {"team": "y"}))] == ["b"]


def test_a_cluster_brand_refuses_namespaces_its_selector_does_not_select():
    brand = parse_object({"apiVersion": "qxo.dev/v1alpha1", "kind": "ClusterQualtricsBrand",
                          "metadata": {"name": "acme"},
                          "spec": {"brandId": "acme", "datacenter": "iad1",
                                   "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "t"}},
                                   "namespaceSelector": {"matchLabels": {"brand": "acme"}}}})
    assert brand_verdict(brand, "team", {"brand": "acme"}) is None
    refused = brand_verdict(brand, "other", {"brand": "other"})
    assert (refused.policy_kind, refused.policy, refused.rule, refused.field) == (
        "ClusterQualtricsBrand", "acme", "spec.namespaceSelector", "spec.brandRef")


@pytest.mark.parametrize(("selector", "labels", "selected"), [
    ({}, {}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({"matchLabels": {"a": ""}}, {}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": ""}, False),
    ({"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]}, {"a": "1"}, False),
])
def test_label_selectors_select_as_kubernetes_defines_them(selector, labels, selected):
    assert LabelSelector.model_validate(selector).selects(labels) is selected


def test_a_selector_describes_itself_in_kubectl_words():
    selector = LabelSelector.model_validate({"matchLabels": {"team": "a"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["gold", "silver"]}, {"key": "x", "operator": "DoesNotExist"}]})
    assert selector.describe() == "team=a,tier in (gold,silver),!x"
    assert LabelSelector().describe() == "<everything>"
