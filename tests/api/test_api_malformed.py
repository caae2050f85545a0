"""Every malformed manifest is refused at the field it declares, by the layer it declares."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from api_support import MALFORMED, names_field, read_header

from qxo.api.documents import Document, load_file
from qxo.api.validation import admit_object, admitter, validate_paths

FIXTURES = sorted(MALFORMED.glob("*.yaml"))


def test_there_are_at_least_100_malformed_manifests_with_the_header_format():
    assert len(FIXTURES) >= 100
    for path in FIXTURES:
        field, layer = read_header(path)
        assert layer in ("schema", "semantic"), path.name
        assert field and " " not in field, path.name
        assert len([doc for doc in yaml.safe_load_all(path.read_text()) if doc]) == 1, path.name


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.stem)
def test_malformed_manifest_is_refused_naming_its_field(path: Path):
    field, _ = read_header(path)
    report = validate_paths([path])
    errors = [problem for problem in report.problems if problem.severity == "error"]
    assert not report.valid
    assert any(names_field(problem.field, field) for problem in errors), [p.display() for p in errors]
    for problem in errors:
        assert problem.file == str(path)
        assert problem.message


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.stem)
def test_malformed_manifest_is_refused_by_its_declared_layer(path: Path):
    field, layer = read_header(path)
    [document] = load_file(path)[0]
    problems, obj = admit_object(Document(document.file, document.line, document.body))
    if layer == "schema":
        assert any(names_field(problem.field, field) for problem in problems), [p.display() for p in problems]
        assert obj is None
    else:
        # Admitted by the API server (schema and CEL), refused by qxo validate and the operator.
        assert admitter(document.kind).admit(document.body, old=None).causes == [], "admission must accept it"
        if problems:  # a rule the models hold past admission (the Public Suffix List): at the field, no object
            assert any(names_field(problem.field, field) for problem in problems), [p.display() for p in problems]
            assert obj is None


BRAND = {"apiVersion": "qxo.dev/v1alpha1", "kind": "QualtricsBrand", "metadata": {"name": "acme", "namespace": "ns"},
         "spec": {"brandId": "acme", "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "t"}}}}
INSTALL = {"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionInstall", "metadata": {"name": "ws", "namespace": "ns"},
           "spec": {"brandRef": {"name": "acme"}, "extensionId": "webservice"}}
LINK = {"apiVersion": "qxo.dev/v1alpha1", "kind": "SalesforceLink", "metadata": {"name": "l", "namespace": "ns"},
        "spec": {"brandRef": {"name": "acme"}, "owner": "ana@acme.example", "environment": "Sandbox",
                 "oauth": {"clientSecretRef": {"name": "app"}, "refreshTokenSecretRef": {"name": "token"}}}}
GRANT = {"apiVersion": "qxo.dev/v1alpha1", "kind": "AccountGrant", "metadata": {"name": "g", "namespace": "ns"},
         "spec": {"accountRef": {"name": "a"}}}


def spec(base: dict, **fields) -> dict:
    return {**base, "spec": {**base["spec"], **fields}}


# The edges of what is allowed, so the rules refusing the fixtures are not simply refusing everything.
ACCEPTED = {
    "sandbox-base-url-ipv4": spec(BRAND, baseURL="http://127.0.0.1:8080"),
    "sandbox-base-url-ipv6": spec(BRAND, baseURL="http://[::1]:8443/"),
    "sandbox-base-url-localhost": spec(BRAND, baseURL="http://localhost"),
    "https-base-url-with-highest-port-and-slash": spec(BRAND, baseURL="https://proxy.acme.example:65535/"),
    "oauth-client-with-scopes": spec(BRAND, datacenter="fra1", credentials={
        "type": "OAuthClient", "oauthClientSecretRef": {"name": "c"}, "scopes": ["manage:users", "read:groups"]}),
    "resync-hours-and-minutes": spec(BRAND, datacenter="gov1", resyncInterval="1h30m"),
    "resync-minimum": spec(BRAND, datacenter="syd1", resyncInterval="30s"),
    "wildcard-label-and-port": spec(INSTALL, domains=["https://*.acme.example", "https://hooks.acme.example:*"]),
    "ports-one-and-65535": spec(INSTALL, domains=["https://a.acme.example:1", "https://b.acme.example:65535"]),
    "wildcard-over-a-registrable-domain": spec(INSTALL, domains=["https://*.acme.co.uk",
                                                                  "https://*.my-bucket.s3.amazonaws.com"]),
    "my-domain-login-url": spec(LINK, loginURL="https://acme.my.salesforce.com:8443/"),
    "network-addresses": spec(LINK, additionalLoginIPRanges=["10.0.0.0/8", "203.0.113.7/32", "0.0.0.0/1"]),
    "punycode-host-and-port": spec(INSTALL, domains=["https://xn--bcher-kva.example:8443", "https://api.xn--p1ai"]),
    "no-domains-at-all": spec(INSTALL, domains=[]),
    "enable-for-all-users": spec(INSTALL, enablement={"allUsers": True}),
    "sso-username": spec(INSTALL, enablement={"users": ["j.doe@acme.example#acme"], "groups": ["CX Analysts"]}),
    "grant-all-users-defaults-to-user": spec(GRANT, allUsers={}),
    "grant-groups-only": spec(GRANT, groups=[{"group": "Support Leads", "access": "Owner"}]),
    "observe-only-orphan": spec(GRANT, users=[{"user": "ops@acme.example"}], managementPolicy="ObserveOnly",
                                deletionPolicy="Orphan"),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_edges_of_the_rules_are_accepted(name):
    body = copy.deepcopy(ACCEPTED[name])
    if body["kind"] == "QualtricsBrand" and "baseURL" not in body["spec"] and "datacenter" not in body["spec"]:
        body["spec"]["datacenter"] = "iad1"
    problems, obj = admit_object(Document("accepted.yaml", 1, body))
    assert problems == []
    assert obj is not None
