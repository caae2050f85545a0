"""One test per capability the examples show: each example validates, and the rule it relies on holds."""

from __future__ import annotations

import copy

import yaml
from api_support import EXAMPLES

from qxo.api import AccountGrant, ExtensionAccount, ExtensionInstall, QualtricsBrand, SalesforceLink
from qxo.api.catalog import BY_ID
from qxo.api.documents import Document
from qxo.api.validation import validate_documents

SEED_USERS = {"admin@acme.example", "ops@acme.example", "ana.lima@acme.example", "ben.okafor@acme.example",
              "chen.wei@acme.example", "dana.berg@acme.example"}
SEED_GROUPS = {"CX Analysts", "Support Leads", "Marketing"}


def errors(bodies) -> list[str]:
    problems = validate_documents(Document("example.yaml", 1, copy.deepcopy(body)) for body in bodies)
    return [problem.display() for problem in problems if problem.severity == "error"]


def everything(example_documents, replace=None) -> list[dict]:
    bodies = copy.deepcopy(list(example_documents.values()))
    if replace is not None:
        bodies = [replace(body) or body for body in bodies]
    return bodies


def test_files_are_split_the_way_a_team_commits_them():
    assert [path.name for path in sorted(EXAMPLES.glob("*.yaml"))] == [
        "00-namespace.yaml", "01-brand.yaml", "10-installs.yaml", "20-accounts.yaml", "30-grants.yaml",
        "40-salesforce.yaml"]
    assert (EXAMPLES / "README.md").exists()
    for path in EXAMPLES.glob("*.yaml"):
        for body in yaml.safe_load_all(path.read_text()):
            assert body["metadata"].get("namespace", "qxo-demo") == "qxo-demo"


def test_brand_connects_by_datacenter_with_an_api_token_secret(example_documents):
    brand = QualtricsBrand.model_validate(example_documents[("QualtricsBrand", "acme")])
    assert (brand.spec.brand_id, brand.spec.datacenter) == ("acme", "iad1")
    token = example_documents[("Secret", brand.spec.credentials.api_token_secret_ref.name)]
    assert brand.spec.credentials.api_token_secret_ref.key in token["stringData"]
    assert errors(example_documents.values()) == []

    def both(body):
        if body["kind"] == "QualtricsBrand":
            body["spec"]["baseURL"] = "https://iad1.qualtrics.com"
    assert any("exactly one of datacenter or baseURL" in e for e in errors(everything(example_documents, both)))


def test_first_party_install_needs_no_terms_and_allows_domains_and_group_enablement(example_documents):
    install = ExtensionInstall.model_validate(example_documents[("ExtensionInstall", "webservice")])
    entry = BY_ID[install.spec.extension_id]
    assert entry.first_party and entry.domains_editable
    assert not install.spec.terms_accepted
    assert "https://*.api.acme.example" in install.spec.domains
    assert set(install.spec.enablement.groups) <= SEED_GROUPS

    def plain_http(body):
        if body["metadata"]["name"] == "webservice" and body["kind"] == "ExtensionInstall":
            body["spec"]["domains"] = ["http://tickets.acme.example"]
    assert any("spec.domains[0]" in e for e in errors(everything(example_documents, plain_http)))


def test_third_party_install_accepts_terms(example_documents):
    install = ExtensionInstall.model_validate(example_documents[("ExtensionInstall", "brandwatch")])
    assert not BY_ID[install.spec.extension_id].first_party
    assert install.spec.terms_accepted
    assert set(install.spec.enablement.users) <= SEED_USERS

    def no_terms(body):
        if body["metadata"]["name"] == "brandwatch" and body["kind"] == "ExtensionInstall":
            del body["spec"]["termsAccepted"]
    assert [e for e in errors(everything(example_documents, no_terms)) if "spec.termsAccepted" in e]


def test_accounts_take_their_credentials_from_secrets(example_documents):
    for name in ("ticketing", "brandwatch-social"):
        account = ExtensionAccount.model_validate(example_documents[("ExtensionAccount", name)])
        secret = example_documents[("Secret", account.spec.credentials.secret_ref.name)]
        assert set(account.spec.credentials.keys or secret["stringData"]) <= set(secret["stringData"])
        assert all(value.startswith("FAKE-") for key, value in secret["stringData"].items()
                   if key in {"password", "apiKey"})

    def missing_key(body):
        if body["kind"] == "ExtensionAccount" and body["metadata"]["name"] == "brandwatch-social":
            body["spec"]["credentials"]["keys"] = ["apiSecret"]
    assert any("has no key 'apiSecret'" in e for e in errors(everything(example_documents, missing_key)))


def test_grants_give_user_access_owner_access_and_all_users_access(example_documents):
    ticketing = AccountGrant.model_validate(example_documents[("AccountGrant", "ticketing")])
    social = AccountGrant.model_validate(example_documents[("AccountGrant", "brandwatch-social")])
    accesses = {entry.access for entry in ticketing.spec.users}
    assert accesses == {"User", "Owner"}
    assert social.spec.all_users is not None and social.spec.all_users.access == "User"
    assert {entry.user for grant in (ticketing, social) for entry in grant.spec.users} <= SEED_USERS

    def owner_for_all(body):
        if body["kind"] == "AccountGrant" and body["metadata"]["name"] == "brandwatch-social":
            body["spec"]["allUsers"]["access"] = "Owner"
    assert any("Owner access cannot be granted to all users" in e
               for e in errors(everything(example_documents, owner_for_all)))


def test_salesforce_links_for_production_and_sandbox_owners(example_documents):
    links = [SalesforceLink.model_validate(body) for (kind, _), body in example_documents.items()
             if kind == "SalesforceLink"]
    assert {(link.spec.owner, link.spec.environment) for link in links} == {
        ("ana.lima@acme.example", "Production"), ("ben.okafor@acme.example", "Sandbox")}
    for link in links:
        refresh = example_documents[("Secret", link.spec.oauth.refresh_token_secret_ref.name)]
        assert refresh["stringData"]["refresh_token"].startswith("FAKE-")

    def no_refresh_token(body):
        if body["kind"] == "SalesforceLink":
            del body["spec"]["oauth"]["refreshTokenSecretRef"]
    assert any("spec.oauth" in e for e in errors(everything(example_documents, no_refresh_token)))


def test_example_secrets_are_obviously_fake(example_documents):
    for (kind, _), body in example_documents.items():
        if kind == "Secret":
            assert "data" not in body
            assert any(value.startswith("FAKE-") for value in body["stringData"].values())
