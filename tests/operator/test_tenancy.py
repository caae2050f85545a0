"""Tenancy end to end (docs/tenancy.md): two teams share one ClusterQualtricsBrand without seeing its token; a
request the policy forbids is refused at admission, by the operator and by qxo validate in the same words; a
namespace the brand does not select cannot use it; a team cannot change another team's account or the
platform's install.

Each scenario runs on the kube sandbox here and on the real control plane in test_e2e_tenancy.py.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from tenancyworld import TENANCY, Tenancy, documents, tenancy_documents, tenancy_world

from qxo.api.validation import validate_paths

pytestmark = pytest.mark.slow

REFUSED = TENANCY / "refused" / "team-marketing-google-sheets.yaml"
RULE = ("ExtensionPolicy teams (spec.extensions.ids): spec.extensionId: extension google-sheets is not one this "
        "namespace may use (whatsapp-twilio, smtp-relay, jira)")


@pytest.fixture
def tenancy(request, tmp_path) -> Iterator[Tenancy]:
    with tenancy_world(request, tmp_path) as world:
        yield world


def converge(tenancy: Tenancy) -> None:
    tenancy.apply(tenancy_documents(tenancy.world, with_rbac=tenancy.real))
    tenancy.converge()


def test_two_teams_share_one_brand_without_seeing_its_token(tenancy):
    converge(tenancy)
    world = tenancy.world
    accounts = {a["name"]: a for e in world.audit() if e["method"] == "POST" and e["path"].endswith("/accounts")
                for a in [e.get("request") or {}]}
    assert {"Marketing WhatsApp", "Support SMTP relay"} <= set(accounts)
    token = world.brand_token()
    for team in ("team-marketing", "team-support"):
        secrets = world.core.list_namespaced_secret(team).items
        assert [s.metadata.name for s in secrets if s.type == "Opaque"] == \
            [{"team-marketing": "twilio-marketing", "team-support": "smtp-support"}[team]]
        assert not any(token in str(s.data) for s in secrets)
    for kind, namespace, name in [("ExtensionAccount", "team-marketing", "whatsapp"),
                                  ("ExtensionAccount", "team-support", "smtp"), ("ClusterQualtricsBrand", "", "acme")]:
        assert token not in str(tenancy.get(kind, namespace, name))
    # The brand installed what the platform and one team declared, once each, as its administrator.
    installed = sorted(e["path"].split("/extensions/")[1].split("/")[0] for e in world.writes()
                       if e["method"] == "PUT" and e["path"].endswith("/installation"))
    assert installed == ["jira", "smtp-relay", "whatsapp-twilio"]


def test_a_forbidden_request_is_refused_in_three_places_naming_the_same_rule(tenancy):
    converge(tenancy)
    refused = documents(REFUSED)
    # 1. At admission.
    answer = tenancy.apply(refused, check=False)
    assert answer.returncode != 0 and RULE in answer.stderr, answer.stderr
    # 2. By the operator, when admission is not there to refuse it: no brand write.
    writes = len(tenancy.world.writes())
    with tenancy.without_binding("qxo-extension-policy-installs"):
        tenancy.apply(refused)
    condition = tenancy.condition("ExtensionInstall", "team-marketing", "google-sheets", "PolicyDenied")
    assert condition["message"] == RULE
    assert len(tenancy.world.writes()) == writes
    # 3. By qxo validate --policy, for a pull request.
    report = validate_paths([TENANCY / "00-namespaces.yaml", REFUSED], policy_paths=[TENANCY / "10-platform.yaml"])
    assert [p.message for p in report.problems if p.severity == "error"] == [RULE]


def test_a_namespace_outside_the_brands_selector_cannot_use_it(tenancy):
    converge(tenancy)
    outsider = {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "team-outsider", "labels": {"qxo.dev/tenant": "true"}}}
    account = copy.deepcopy(next(d for d in documents(TENANCY / "30-team-marketing.yaml")
                                 if d["kind"] == "ExtensionAccount"))
    account["metadata"]["namespace"] = "team-outsider"
    account["spec"]["displayName"] = "Outsider WhatsApp"
    tenancy.apply(outsider)
    words = ("ClusterQualtricsBrand acme (spec.namespaceSelector): spec.brandRef: namespace team-outsider may not "
             "use this brand")
    answer = tenancy.apply(account, check=False)
    assert answer.returncode != 0 and words in answer.stderr, answer.stderr
    writes = len(tenancy.world.writes())
    with tenancy.without_binding("qxo-cluster-brand-namespaces"):
        tenancy.apply(account)
    condition = tenancy.condition("ExtensionAccount", "team-outsider", "whatsapp", "NamespaceNotSelected")
    assert condition["message"] == words
    assert len(tenancy.world.writes()) == writes
    tenancy.delete("ExtensionAccount", "team-outsider", "whatsapp")
    tenancy.world.wait_for(lambda: tenancy.get("ExtensionAccount", "team-outsider", "whatsapp") is None,
                           "the refused account to go")
    tenancy.world.kubectl("delete", "namespace", "team-outsider", "--wait=false")


def test_a_team_cannot_change_another_teams_account_or_the_platforms_install(tenancy):
    converge(tenancy)
    world = tenancy.world
    writes = len(world.writes())
    # Team support names marketing's account, and declares its own install of the platform's extension.
    taken = copy.deepcopy(next(d for d in documents(TENANCY / "30-team-marketing.yaml")
                               if d["kind"] == "ExtensionAccount"))
    taken["metadata"] = {"name": "not-mine", "namespace": "team-support"}
    taken["spec"]["credentials"] = {"secretRef": {"name": "smtp-support"}}
    install = {"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionInstall",
               "metadata": {"name": "smtp-relay", "namespace": "team-support"},
               "spec": {"brandRef": {"kind": "ClusterQualtricsBrand", "name": "acme"}, "extensionId": "smtp-relay",
                        "domains": ["https://evil.acme.example"]}}
    tenancy.apply([taken, install])
    account = tenancy.condition("ExtensionAccount", "team-support", "not-mine", "DuplicateAccount")
    assert "ExtensionAccount team-marketing/whatsapp already declares account 'Marketing WhatsApp'" in \
        account["message"]
    duplicate = tenancy.condition("ExtensionInstall", "team-support", "smtp-relay", "DuplicateInstall")
    assert "ExtensionInstall qxo-platform/smtp-relay already manages smtp-relay" in duplicate["message"]
    assert len(world.writes()) == writes
    # Deleting them takes nothing with them: the platform's install and marketing's account stay Ready.
    tenancy.delete("ExtensionAccount", "team-support", "not-mine")
    tenancy.delete("ExtensionInstall", "team-support", "smtp-relay")
    world.wait_for(lambda: tenancy.get("ExtensionInstall", "team-support", "smtp-relay") is None
                   and tenancy.get("ExtensionAccount", "team-support", "not-mine") is None, "both to go")
    assert len(world.writes()) == writes
    assert tenancy.ready("ExtensionInstall", "qxo-platform", "smtp-relay")
    assert tenancy.ready("ExtensionAccount", "team-marketing", "whatsapp")


def _policy(tenancy: Tenancy, **changes) -> dict:
    policy = copy.deepcopy(next(d for d in documents(TENANCY / "10-platform.yaml") if d["kind"] == "ExtensionPolicy"))
    for path, value in changes.items():
        section, field = path.split("__")
        policy["spec"][section][field] = value
    return policy


def test_a_policy_or_label_change_is_enforced_on_objects_already_there(tenancy):
    """What admission cannot revisit, the operator does: a stricter policy, a relabelled namespace, and the rules
    only the operator can judge (the catalog's third party, the number of accounts) reach objects admitted
    earlier, without a brand write; loosening them again makes them Ready."""
    converge(tenancy)
    world = tenancy.world
    writes = len(world.writes())
    tenancy.apply(_policy(tenancy, access__owner=False))
    grant = tenancy.condition("AccountGrant", "team-support", "smtp", "PolicyDenied")
    assert grant["message"] == ("ExtensionPolicy teams (spec.access.owner): spec.users: Owner access may not be "
                                "granted in this namespace (ops@acme.example)")
    tenancy.apply(_policy(tenancy, extensions__thirdParty=False))  # Twilio is a third party: the catalog says so
    account = tenancy.condition("ExtensionAccount", "team-marketing", "whatsapp", "PolicyDenied")
    assert account["message"] == ("ExtensionPolicy teams (spec.extensions.thirdParty): spec.extensionId: third-party "
                                  "extensions may not be used in this namespace")
    # The owner rule was lifted by the same change: the grant turns Ready in its own converge, not before the account's.
    world.wait_for(lambda: tenancy.ready("AccountGrant", "team-support", "smtp"), "the grant Ready again")
    tenancy.apply(_policy(tenancy, accounts__maxPerNamespace=0))
    tenancy.condition("ExtensionAccount", "team-support", "smtp", "PolicyDenied")
    world.kubectl("label", "namespace", "team-marketing", "qxo.dev/brand-acme-", "--overwrite")
    tenancy.condition("ExtensionAccount", "team-marketing", "whatsapp", "NamespaceNotSelected")
    assert len(world.writes()) == writes
    world.kubectl("label", "namespace", "team-marketing", "qxo.dev/brand-acme=true", "--overwrite")
    tenancy.apply(_policy(tenancy))
    world.wait_for(lambda: tenancy.ready("ExtensionAccount", "team-marketing", "whatsapp")
                   and tenancy.ready("ExtensionAccount", "team-support", "smtp"), "both accounts Ready again")
    assert len(world.writes()) == writes


def test_a_cluster_brand_reads_credentials_only_where_the_operators_administrator_allows(tenancy):
    converge(tenancy)
    brand = copy.deepcopy(next(d for d in tenancy_documents(tenancy.world, with_rbac=False)
                               if d["kind"] == "ClusterQualtricsBrand"))
    brand["metadata"]["name"] = "elsewhere"
    brand["spec"]["credentials"]["namespace"] = "team-marketing"  # a team's namespace: not the platform's
    tenancy.apply(brand)
    refused = tenancy.condition("ClusterQualtricsBrand", "", "elsewhere", "CredentialsNamespaceNotAllowed")
    assert refused["message"].startswith("spec.credentials.namespace: the operator reads a ClusterQualtricsBrand's "
                                         "credentials only in qxo-system, not in team-marketing")
    tenancy.delete("ClusterQualtricsBrand", "", "elsewhere")
