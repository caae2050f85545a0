"""The patterns hold what docs/api.md promises, for generated inputs as well as the fixtures."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import re2
from hypothesis import given
from hypothesis import strategies as st

from qxo.api.common import DURATION, SERVICE_URL, USERNAME, parse_duration
from qxo.api.install import DOMAIN
from qxo.api.salesforce import IPV4_CIDR

domain = re.compile(DOMAIN)
service_url = re.compile(SERVICE_URL)

label = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z")
tld = st.from_regex(r"\A([a-z]{2,6}|xn--[a-z0-9]{2,8})\Z")
port = st.one_of(st.just(""), st.just(":*"), st.integers(1, 65535).map(lambda p: f":{p}"))


@given(st.booleans(), st.lists(label, min_size=1, max_size=4), tld, port)
def test_well_formed_domains_are_accepted(wildcard, labels, top, suffix):
    host = ("*." if wildcard else "") + ".".join([*labels, top])
    text = f"https://{host}{suffix}"
    assert domain.match(text)
    assert re2.match(DOMAIN, text)


@given(st.text(max_size=60))
def test_anything_a_domain_accepts_is_https_ascii_lowercase_host_and_port_only(text):
    if not domain.match(text):
        return
    parts = urlsplit(text)
    assert parts.scheme == "https"
    assert text.isascii() and text == text.lower()
    assert (parts.path, parts.query, parts.fragment, parts.username) == ("", "", "", None)
    host = parts.netloc.rsplit(":", 1)[0] if parts.netloc.count(":") else parts.netloc
    assert "*" not in host.removeprefix("*.")


@given(st.text(max_size=40))
def test_plain_http_service_urls_are_only_loopback(text):
    candidate = "http://" + text
    if service_url.match(candidate):
        host = urlsplit(candidate).hostname
        assert host in ("127.0.0.1", "localhost", "::1")


@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_durations_parse_to_their_seconds(hours, minutes, seconds):
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{seconds}s" if seconds else "")
    if not text:
        assert not re.match(DURATION, text)
        return
    assert re.match(DURATION, text)
    assert parse_duration(text) == hours * 3600 + minutes * 60 + seconds


@given(st.tuples(*[st.integers(0, 255)] * 4), st.integers(0, 32))
def test_every_ipv4_cidr_is_accepted(octets, prefix):
    assert re.match(IPV4_CIDR, f"{'.'.join(map(str, octets))}/{prefix}")


def test_seed_usernames_and_sso_usernames_are_usernames():
    for name in ("ana.lima@acme.example", "admin@acme.example", "jdoe", "j.doe@acme.example#acme"):
        assert re.match(USERNAME, name)
    for name in ("Ana Lima", "ana@", "@acme.example", "ana\n@acme.example"):
        assert not re.match(USERNAME, name)
