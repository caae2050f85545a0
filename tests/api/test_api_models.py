"""The models are pleasant from Python: parse a body, read typed spec and status, build a status to patch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from qxo.api import (
    AccountGrant,
    ConditionStatus,
    DeletionPolicy,
    ExtensionAccount,
    ExtensionInstall,
    ExtensionInstallStatus,
    ManagementPolicy,
    QualtricsBrand,
    SalesforceLink,
    parse_object,
)
from qxo.api.common import parse_duration
from qxo.api.grant import Access


def test_a_kopf_body_parses_into_typed_spec_with_defaults(example_documents):
    brand = QualtricsBrand.model_validate(example_documents[("QualtricsBrand", "acme")])
    assert brand.metadata.namespace == "qxo-demo"
    assert brand.spec.brand_id == "acme"
    assert brand.spec.credentials.api_token_secret_ref.key == "token"
    assert brand.spec.rate_limit.requests_per_minute == 1200
    assert brand.spec.deletion_policy is DeletionPolicy.DELETE
    assert brand.spec.management_policy is ManagementPolicy.MANAGE
    assert parse_duration(brand.spec.resync_interval) == 600


def test_parse_object_picks_the_model_by_kind(example_documents):
    for (kind, name), body in example_documents.items():
        if body["apiVersion"] == "qxo.dev/v1alpha1":
            obj = parse_object(body)
            assert type(obj).KIND == kind
            assert obj.metadata.name == name


def test_domains_omitted_and_empty_mean_different_things(example_documents):
    body = example_documents[("ExtensionInstall", "webservice")]
    assert ExtensionInstall.model_validate(body).spec.domains == [
        "https://tickets.acme.example", "https://*.api.acme.example", "https://hooks.acme.example:*"]
    untouched = {**body, "spec": {key: value for key, value in body["spec"].items() if key != "domains"}}
    assert ExtensionInstall.model_validate(untouched).spec.domains is None
    assert ExtensionInstall.model_validate({**body, "spec": {**body["spec"], "domains": []}}).spec.domains == []


def test_spec_refuses_unknown_fields_but_status_tolerates_them(example_documents):
    body = example_documents[("ExtensionAccount", "ticketing")]
    with pytest.raises(ValidationError, match="password"):
        ExtensionAccount.model_validate({**body, "spec": {**body["spec"], "password": "x"}})
    account = ExtensionAccount.model_validate({**body, "status": {"externalId": "ACC_1", "futureField": 1}})
    assert account.status.external_id == "ACC_1"


def test_status_is_built_and_serialised_in_camel_case():
    status = ExtensionInstallStatus(external_id="EI_123", installed=True, first_party=True, domains=[])
    status.set_condition("Ready", True, "Installed", "webservice installed", generation=2,
                         now=datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC))
    assert status.to_k8s() == {
        "externalId": "EI_123", "installed": True, "firstParty": True, "domains": [],
        "conditions": [{"type": "Ready", "status": "True", "reason": "Installed",
                        "message": "webservice installed", "lastTransitionTime": "2026-01-02T03:04:05Z",
                        "observedGeneration": 2}],
    }


def test_set_condition_keeps_the_transition_time_while_status_holds():
    status = ExtensionInstallStatus()
    first = status.set_condition("Synced", "False", "BrandUnreachable", now=datetime(2026, 1, 1, tzinfo=UTC))
    again = status.set_condition("Synced", False, "RateLimited", now=datetime(2026, 1, 2, tzinfo=UTC))
    assert again.last_transition_time == first.last_transition_time
    assert again.reason == "RateLimited"
    flipped = status.set_condition("Synced", ConditionStatus.TRUE, "Synced", now=datetime(2026, 1, 3, tzinfo=UTC))
    assert flipped.last_transition_time == datetime(2026, 1, 3, tzinfo=UTC)
    assert [c.type for c in status.conditions] == ["Synced"]


def test_pause_and_adoption_annotations_are_read(example_documents):
    body = example_documents[("AccountGrant", "ticketing")]
    metadata = {**body["metadata"], "annotations": {"qxo.dev/paused": "true", "qxo.dev/external-id": "ACC_42"}}
    grant = AccountGrant.model_validate({**body, "metadata": metadata})
    assert grant.paused
    assert grant.adopt_external_id == "ACC_42"
    assert not AccountGrant.model_validate(body).paused
    assert AccountGrant.model_validate(body).adopt_external_id is None


def test_grant_access_is_typed(example_documents):
    grant = AccountGrant.model_validate(example_documents[("AccountGrant", "brandwatch-social")])
    assert grant.spec.all_users.access is Access.USER
    assert grant.spec.users[0].access is Access.OWNER


def test_salesforce_login_url_follows_environment_unless_my_domain_is_set(example_documents):
    production = SalesforceLink.model_validate(example_documents[("SalesforceLink", "ana-lima-production")])
    sandbox = SalesforceLink.model_validate(example_documents[("SalesforceLink", "ben-okafor-sandbox")])
    assert production.spec.effective_login_url == "https://acme.my.salesforce.com"
    assert sandbox.spec.effective_login_url == "https://test.salesforce.com"
    assert sandbox.spec.oauth.refresh_token_secret_ref.key == "refresh_token"
    assert production.spec.oauth.client_secret_ref.client_id_key == "client_id"


def test_wire_form_round_trips(example_documents):
    body = example_documents[("SalesforceLink", "ana-lima-production")]
    link = SalesforceLink.model_validate(body)
    assert SalesforceLink.model_validate({**body, "spec": link.spec.to_k8s()}).spec == link.spec
    assert link.spec.to_k8s()["additionalLoginIPRanges"] == ["203.0.113.0/24"]
    assert link.spec.to_k8s()["loginURL"] == "https://acme.my.salesforce.com"


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("10m", 600), ("1h30m", 5400), ("2h0m5s", 7205)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds
