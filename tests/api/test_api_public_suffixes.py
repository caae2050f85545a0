"""Wildcards over public suffixes: refused by the models (so qxo validate and the operator), from the shipped list."""

from __future__ import annotations

import pytest

from qxo.api import ExtensionInstallSpec
from qxo.api.catalog import BY_ID
from qxo.api.semantic import install_catalog_findings
from qxo.api.suffixes import wildcard_reach_problem


@pytest.mark.parametrize("domain", ["https://*.co.uk", "https://*.amazonaws.com", "https://*.github.io:443",
                                    "https://*.s3.amazonaws.com:*", "https://*.blogspot.com"])
def test_a_written_domain_list_refuses_wildcards_over_public_suffixes(domain):
    spec = ExtensionInstallSpec.model_validate({"brandRef": {"name": "acme"}, "extensionId": "webservice",
                                                "domains": ["https://api.acme.example", domain]})
    findings = install_catalog_findings(spec, BY_ID["webservice"])
    assert [(path, "public suffix" in message) for path, message in findings] == [("spec.domains[1]", True)]


def test_an_extensions_own_list_declared_exactly_writes_nothing_and_is_not_refused():
    """Salesforce's own *.salesforce.com reaches other owners' hosts, but declaring it as it is edits nothing."""
    own = ["https://*.force.com", "https://*.salesforce.com"]
    assert wildcard_reach_problem(own[1])
    spec = ExtensionInstallSpec.model_validate({"brandRef": {"name": "acme"}, "extensionId": "salesforce",
                                                "domains": own})
    assert install_catalog_findings(spec, BY_ID["salesforce"]) == []


def test_wildcards_below_a_registrable_domain_are_allowed():
    spec = ExtensionInstallSpec.model_validate({"brandRef": {"name": "acme"}, "extensionId": "webservice", "domains": [
        "https://*.acme.co.uk", "https://*.bucket.s3.amazonaws.com", "https://*.acme.example:*", "https://co.uk"]})
    assert len(spec.domains) == 4


@pytest.mark.parametrize(("domain", "words"), [
    ("https://*.co.uk", "co.uk is a public suffix"),
    ("https://*.amazonaws.com", "amazonaws.com holds public suffixes such as s3.amazonaws.com"),
    ("https://*.x.compute.amazonaws.com:8443", "x.compute.amazonaws.com is a public suffix"),  # under a *. rule
])
def test_the_problem_says_which_suffix_and_why(domain, words):
    assert words in wildcard_reach_problem(domain)


def test_only_wildcards_are_judged():
    assert wildcard_reach_problem("https://co.uk") is None
    assert wildcard_reach_problem("https://api.github.io") is None


def test_the_list_is_read_from_the_installed_package_not_the_network(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the Public Suffix List must not be fetched")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    from qxo.api import suffixes

    suffixes._suffixes.cache_clear()
    assert suffixes.wildcard_reach_problem("https://*.github.io")
