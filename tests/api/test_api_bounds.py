"""Bounds that match runtime: what admission and `qxo validate` accept, the operator can use.

A baseURL or loginURL admitted must build a request URL the clients send as given (scheme, host,
port 1..65535, the client's own path); CIDRs must be networks, in admission and in the models
the operator parses specs with.
"""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

import pytest
import yarl
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from qxo.api import SalesforceLinkSpec
from qxo.api.documents import Document
from qxo.api.validation import admit_object
from qxo.qualtrics.config import BrandConfig
from qxo.salesforce.settings import ConnectionSettings

BRAND = {"apiVersion": "qxo.dev/v1alpha1", "kind": "QualtricsBrand", "metadata": {"name": "acme", "namespace": "ns"},
         "spec": {"brandId": "acme", "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "t"}}}}
LINK = {"apiVersion": "qxo.dev/v1alpha1", "kind": "SalesforceLink", "metadata": {"name": "l", "namespace": "ns"},
        "spec": {"brandRef": {"name": "acme"}, "owner": "ana@acme.example", "environment": "Sandbox",
                 "oauth": {"clientSecretRef": {"name": "app"}, "refreshTokenSecretRef": {"name": "token"}}}}


def admitted(base: dict, field: str, value: str) -> bool:
    body = copy.deepcopy(base)
    body["spec"][field] = value
    problems, obj = admit_object(Document("bounds.yaml", 1, body))
    errors = [p for p in problems if p.severity == "error"]
    assert obj is None or not errors
    if errors:
        assert any(p.field == f"spec.{field}" for p in errors), [p.display() for p in errors]
    return obj is not None


def brand_client_can_use(url: str) -> bool:
    """The brand client's own checks, then the request URL it would build for GET /whoami."""
    try:
        config = BrandConfig(base_url=url, brand_id="acme", api_token="x")
        request = yarl.URL(config.root_url + "/API/v3/whoami")
        _ = urlsplit(url).port  # raises for a port out of range
    except ValueError:
        return False
    return request.path == "/API/v3/whoami" and not request.query_string and request.host is not None


def salesforce_client_can_use(url: str) -> bool:
    try:
        settings_ = ConnectionSettings(client_id="c", refresh_token="r", login_url=url)
        request = urlsplit(settings_.login_base + "/services/oauth2/token")
        _ = request.port
    except ValueError:
        return False
    return request.path == "/services/oauth2/token" and request.scheme == "https" and not request.query


schemes = st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", ""])
hosts = st.sampled_from(["iad1.qualtrics.com", "127.0.0.1", "localhost", "[::1]", "acme.my.salesforce.com",
                         "Acme.example", "a_b.example", "", "-x.example", "proxy.acme.example"])
ports = st.sampled_from(["", ":443", ":1", ":65535", ":65536", ":99999", ":0", ":080", ":", ":x", ":123456"])
tails = st.sampled_from(["", "/", "/API/v3", "//", "/?x=1", "?x=1", "#f", "/a b", "@evil.example", "/%2e%2e"])
urls = st.builds(lambda *parts: "".join(parts), schemes, hosts, ports, tails)


@settings(max_examples=300, deadline=None)
@given(url=urls)
def test_every_admitted_base_url_is_one_the_brand_client_uses_as_given(url):
    if admitted(BRAND, "baseURL", url):
        assert brand_client_can_use(url), url


@settings(max_examples=300, deadline=None)
@given(url=urls)
def test_every_admitted_login_url_is_one_the_salesforce_client_uses_as_given(url):
    if admitted(LINK, "loginURL", url):
        assert salesforce_client_can_use(url), url


@pytest.mark.parametrize("url", ["https://iad1.qualtrics.com", "https://iad1.qualtrics.com/", "http://127.0.0.1:8080",
                                 "https://proxy.acme.example:65535", "http://[::1]:1/"])
def test_usual_base_urls_are_admitted(url):
    assert admitted(BRAND, "baseURL", url) and brand_client_can_use(url)


@pytest.mark.parametrize("url", ["https://iad1.qualtrics.com/API/v3", "https://iad1.qualtrics.com:99999",
                                 "https://iad1.qualtrics.com:65536", "https://iad1.qualtrics.com:0",
                                 "https://u@iad1.qualtrics.com", "https://iad1.qualtrics.com/#x"])
def test_base_urls_the_client_cannot_use_are_refused_at_the_field(url):
    assert not admitted(BRAND, "baseURL", url)


@pytest.mark.parametrize(("url", "ok"), [("https://acme.my.salesforce.com", True), ("https://x.example:8443/", True),
                                         ("http://127.0.0.1:8443", False), ("https://acme.my.salesforce.com/x", False),
                                         ("https://acme.my.salesforce.com:70000", False)])
def test_login_urls_are_https_host_and_port_only(url, ok):
    assert admitted(LINK, "loginURL", url) is ok


# Admission words it statically (a messageExpression formatting the masked CIDR is over the API
# server's CEL cost budget); the model names the network to use.
@pytest.mark.parametrize(("cidr", "words", "admission_words"), [
    ("10.0.0.1/24", "has host bits set (use 10.0.0.0/24)", "has host bits set"),
    ("0.0.0.0/0", "/0 is every IPv4 address", "/0 is every IPv4 address")])
def test_the_operator_model_refuses_host_bits_and_slash_zero_naming_the_field(cidr, words, admission_words):
    spec = {**LINK["spec"], "additionalLoginIPRanges": ["203.0.113.0/24", cidr]}
    with pytest.raises(ValidationError) as refused:
        SalesforceLinkSpec.model_validate(spec)
    [error] = refused.value.errors()
    assert error["loc"] == ("additionalLoginIPRanges", 1)
    assert words in error["msg"]
    body = copy.deepcopy(LINK)
    body["spec"]["additionalLoginIPRanges"] = [cidr]
    problems, _ = admit_object(Document("cidr.yaml", 1, body))
    assert [(p.field, admission_words in p.message) for p in problems] == [("spec.additionalLoginIPRanges[0]", True)]
