"""The endpoint allowlist: patterns, the defaults, the addresses never allowed, and URLs a client cannot use."""

from __future__ import annotations

import re

import pytest

from qxo.trust.endpoints import (
    DEFAULT,
    Allowlist,
    InvalidEndpoint,
    NotAllowed,
    Pattern,
    check_resolved,
    is_never_allowed_address,
    parse_url,
)

LOOPBACK = Allowlist.with_defaults(["127.0.0.1"])


@pytest.mark.parametrize("url", [
    "https://iad1.qualtrics.com",                    # a datacenter, as spec.datacenter means it
    "https://acme.iad1.qualtrics.com/",              # an organization host
    "https://login.salesforce.com",
    "https://test.salesforce.com",
    "https://acme.my.salesforce.com",                # My Domain
    "https://acme--uat.sandbox.my.salesforce.com",   # a sandbox's My Domain
    "https://usa77.salesforce.com",                  # an instanced host
    "HTTPS://IAD1.Qualtrics.COM.",                   # case and the root dot do not matter
])
def test_qualtrics_and_salesforce_hosts_are_allowed_by_default(url):
    DEFAULT.check_url(url)


@pytest.mark.parametrize("url", [
    "https://evil.example.com",
    "https://qualtrics.com.evil.example",
    "https://evilqualtrics.com",
    "https://qualtrics.com",                          # the wildcard is for names below it
    "https://iad1.qualtrics.com:8443",                # the defaults are port 443 only
    "http://127.0.0.1:8080",                          # loopback only when the administrator says so
    "https://kubernetes.default.svc",
    "https://10.0.0.1",
])
def test_anything_else_is_refused_naming_the_endpoint_and_the_flag(url):
    with pytest.raises(NotAllowed) as refused:
        DEFAULT.check_url(url)
    assert "is not an allowed endpoint" in str(refused.value) and "--allow-endpoint" in str(refused.value)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata/computeMetadata/v1/",
    "http://[fe80::1]/",
    "http://[::ffff:169.254.169.254]/",               # IPv4-mapped
    "http://[64:ff9b::a9fe:a9fe]/",                   # NAT64
    "http://[fd00:ec2::254]/",
    "http://100.100.100.200/",
])
def test_metadata_and_link_local_endpoints_are_never_allowed_whatever_the_patterns(url):
    anything = Allowlist.with_defaults(["127.0.0.1", "*.example.com", "[::1]", "10.0.0.1"])
    with pytest.raises(NotAllowed) as refused:
        anything.check_url(url)
    assert "never calls" in str(refused.value)


@pytest.mark.parametrize("pattern", [
    "169.254.169.254", "169.254.169.254:80", "metadata.google.internal", "*.google.internal", "[fe80::1]",
    "metadata",
])
def test_a_pattern_naming_a_metadata_endpoint_is_refused(pattern):
    with pytest.raises(InvalidEndpoint, match="never allowed"):
        Pattern.parse(pattern)


@pytest.mark.parametrize(("pattern", "message"), [
    ("*", "leftmost label"),
    ("*.com", "at least two labels"),
    ("a.*.example.com", "leftmost label"),
    ("https://api.example.com", "not a URL"),
    ("api.example.com/path", "not a URL"),
    ("api.example.com:0", "1 to 65535"),
    ("api.example.com:99999", "1 to 65535"),
    ("api.example.com:http", "1 to 65535"),
    ("::1", "brackets"),
    ("", "host pattern"),
    ("bad_host!", "not a valid host"),
])
def test_bad_patterns_are_refused_saying_why(pattern, message):
    with pytest.raises(InvalidEndpoint, match=message):
        Pattern.parse(pattern)


def test_patterns_match_host_and_port_as_written():
    exact, wildcard = Pattern.parse("api.example.com"), Pattern.parse("*.example.com:8443")
    assert exact.matches(parse_url("https://api.example.com:9999"))  # no port: any port
    assert not exact.matches(parse_url("https://x.api.example.com"))
    assert wildcard.matches(parse_url("https://a.b.example.com:8443"))
    assert not wildcard.matches(parse_url("https://a.example.com"))
    assert not wildcard.matches(parse_url("https://example.com:8443"))
    v6 = Pattern.parse("[::1]:9000")
    assert v6.matches(parse_url("http://[0:0::1]:9000")) and not v6.matches(parse_url("http://[::1]:9001"))


def test_loopback_as_the_tests_and_the_demo_allow_it():
    LOOPBACK.check_url("http://127.0.0.1:40123")
    LOOPBACK.check_url("https://127.0.0.1:443")
    with pytest.raises(NotAllowed):
        LOOPBACK.check_url("http://localhost:40123")  # a name is not the address the pattern names
    assert LOOPBACK.describe() == "*.qualtrics.com:443, *.salesforce.com:443, 127.0.0.1"


@pytest.mark.parametrize(("url", "message"), [
    ("https://brand.example.com:99999", "port"),
    ("https://brand.example.com:0", "port"),
    ("ftp://brand.example.com", "http(s)"),
    ("https://user:pw@brand.example.com", "user info"),
    ("https:///nohost", "no host"),
    ("https://2852039166/", "canonical IP"),          # 169.254.169.254 as one number
    ("https://169.254.43518/", "canonical IP"),
    ("https://exa mple.com", "valid host"),
])
def test_urls_a_client_cannot_use_are_invalid_not_a_crash(url, message):
    with pytest.raises(InvalidEndpoint, match=re.escape(message)):
        parse_url(url)
    assert "pw" not in message


def test_resolved_addresses_are_checked_at_connect_time():
    check_resolved("api.example.com", "93.184.216.34")
    with pytest.raises(NotAllowed, match=re.escape("api.example.com resolves to 169.254.169.254")):
        check_resolved("api.example.com", "169.254.169.254")
    assert is_never_allowed_address("fe80::1%eth0")
    assert not is_never_allowed_address("127.0.0.1") and not is_never_allowed_address("not an address")


def test_each_service_is_allowed_its_own_hosts_and_the_administrators_patterns():
    both = Allowlist.with_defaults(["127.0.0.1"])
    qualtrics, salesforce = both.for_service("qualtrics"), both.for_service("salesforce")
    qualtrics.check_url("https://iad1.qualtrics.com/API/v3/whoami")
    salesforce.check_url("https://login.salesforce.com/services/oauth2/token")
    for allowlist in (qualtrics, salesforce):
        allowlist.check_url("http://127.0.0.1:8443/")
    with pytest.raises(NotAllowed):
        qualtrics.check_url("https://attacker-dev-ed.my.salesforce.com/API/v3/whoami")
    with pytest.raises(NotAllowed):
        salesforce.check_url("https://acme.qualtrics.com/services/oauth2/token")


def test_a_services_allowlist_is_parsed_once_for_the_administrators_patterns():
    # Asked before every brand call: the same patterns give the very same parsed allowlist, others their own.
    mine, same, other = (Allowlist.with_defaults(extra) for extra in (["127.0.0.1"], ["127.0.0.1"], ["10.0.0.1"]))
    assert mine.for_service("qualtrics") is same.for_service("qualtrics")
    assert mine.for_service("qualtrics") is not other.for_service("qualtrics")
    assert mine.for_service("qualtrics") is not mine.for_service("salesforce")


def test_an_allowed_origin_is_worked_out_once_and_nothing_else_rides_on_it():
    allowlist = Allowlist.with_defaults().for_service("qualtrics")
    first = allowlist.check_url("https://iad1.qualtrics.com/API/v3/whoami")
    assert allowlist.check_url("https://IAD1.qualtrics.com./API/v3/brands/acme/extensions?page=2") == first
    with pytest.raises(InvalidEndpoint, match="user info"):
        allowlist.check_url("https://someone:pw@iad1.qualtrics.com/API/v3/whoami")
    with pytest.raises(NotAllowed):
        allowlist.check_url("https://iad1.qualtrics.com:8443/API/v3/whoami")
    zero_port = "https://iad1.qualtrics.com:0/x"
    with pytest.raises(InvalidEndpoint, match=re.escape(f"{zero_port!r}: port must be from 1 to 65535")):
        allowlist.check_url(zero_port)  # refused in the URL's own words
