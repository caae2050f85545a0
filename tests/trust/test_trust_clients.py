"""Both clients against capture servers: no connection to an endpoint the allowlist refuses, none to a
link-local or metadata address, and no credential through a redirect (a 3xx is an error naming the endpoint)."""

from __future__ import annotations

import ipaddress
import re
import socket
import time

import pytest
import trustme
from tests.trust.capture import CaptureServer, Reply, redirect_to

from qxo.qualtrics import BrandClient, BrandConfig, errors
from qxo.salesforce import ConnectionSettings, OAuthError, RetryPolicy, SalesforceConnection
from qxo.salesforce.errors import EndpointNotAllowed, Redirected
from qxo.salesforce.oauth import AccessToken, expected_signature, refresh_access_token
from qxo.trust import endpoints
from qxo.trust.endpoints import Allowlist

LOOPBACK = Allowlist.with_defaults(["127.0.0.1"])
TOKEN = "FAKE-brand-token-trust-1"
REFRESH, SECRET = "FAKE-refresh-token-trust-1", "FAKE-client-secret-trust-1"


@pytest.fixture
def elsewhere():
    """Where a redirect points: it must never see a connection."""
    with CaptureServer.running() as server:
        yield server


def brand_config(url: str, **overrides) -> BrandConfig:
    options = dict(base_url=url, brand_id="acme", api_token=TOKEN, allowlist=LOOPBACK, max_attempts=2,
                   backoff_base_seconds=0.01, backoff_max_seconds=0.01, timeout_seconds=5)
    return BrandConfig(**{**options, **overrides})


# -- the brand client ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_the_brand_client_never_follows_a_redirect(elsewhere, status):
    with CaptureServer.running(redirect_to(f"{elsewhere.url}/API/v3/whoami", status)) as brand:
        async with BrandClient(brand_config(brand.url)) as client:
            with pytest.raises(errors.Redirected) as refused:
                await client.whoami()
    assert f"{brand.url} answered GET /API/v3/whoami with a redirect (HTTP {status})" in str(refused.value)
    assert elsewhere.connections == 0 and len(brand.requests) == 1


async def test_credentials_in_a_body_are_not_replayed_to_a_redirect(elsewhere):
    with CaptureServer.running(redirect_to(f"{elsewhere.url}/steal", 308)) as brand:
        async with BrandClient(brand_config(brand.url)) as client:
            with pytest.raises(errors.Redirected):
                await client.create_account("webservice", "x", {"password": "FAKE-account-pw-1"})
    assert elsewhere.connections == 0


async def test_the_oauth_token_request_is_not_redirected_either(elsewhere):
    with CaptureServer.running(redirect_to(f"{elsewhere.url}/oauth2/token")) as brand:
        config = brand_config(brand.url, api_token=None, oauth_client_id="cid", oauth_client_secret=SECRET)
        async with BrandClient(config) as client:
            with pytest.raises(errors.Redirected, match="POST /oauth2/token"):
                await client.whoami()
    assert elsewhere.connections == 0 and [r.path for r in brand.requests] == ["/oauth2/token"]


async def test_an_endpoint_off_the_allowlist_gets_no_connection():
    with CaptureServer.running() as brand:
        async with BrandClient(brand_config(f"http://localhost:{brand.port}")) as client:
            with pytest.raises(errors.EndpointNotAllowed, match="is not an allowed endpoint"):
                await client.whoami()
    assert brand.connections == 0


async def test_a_name_resolving_to_a_metadata_address_is_refused_at_connect_time(monkeypatch):
    # No DNS server of ours can make a name resolve to 169.254.169.254, so the system resolver's
    # answer is the seam: aiohttp's default resolver returns it, the guard must refuse it.
    class MetadataResolver:
        async def resolve(self, host, port=0, family=socket.AF_INET):
            return [{"hostname": host, "host": "169.254.169.254", "port": port, "family": socket.AF_INET,
                     "proto": 0, "flags": 0}]

        async def close(self):
            pass

    monkeypatch.setattr("qxo.qualtrics.guard.DefaultResolver", MetadataResolver)
    config = brand_config("https://rebound.example.test", allowlist=Allowlist.with_defaults(["*.example.test"]))
    async with BrandClient(config) as client:
        with pytest.raises(errors.EndpointNotAllowed, match=re.escape("resolves to 169.254.169.254")):
            await client.whoami()


# -- the Salesforce client ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def ca_file(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def sf_settings(login_url: str, ca_file: str, **overrides) -> ConnectionSettings:
    options = dict(client_id="cid", client_secret=SECRET, refresh_token=REFRESH, login_url=login_url,
                   ca_bundle=ca_file, allowlist=LOOPBACK, retry=RetryPolicy(attempts=2, base_delay=0.01))
    return ConnectionSettings(**{**options, **overrides})


def token_reply(instance_url: str) -> Reply:
    issued = str(int(time.time() * 1000))
    identity = "https://login.example/id/00D000000000001AAA/005000000000001AAA"
    return Reply(200, body={"access_token": "FAKE-access-token-trust-1", "instance_url": instance_url,
                            "id": identity, "issued_at": issued, "token_type": "Bearer",
                            "signature": expected_signature(SECRET, identity, issued)})


async def test_the_token_request_is_not_redirected(ca, ca_file, elsewhere):
    with CaptureServer.running(redirect_to(f"{elsewhere.url}/services/oauth2/token"), tls=ca) as login:
        with pytest.raises(Redirected) as refused:
            await refresh_access_token(sf_settings(login.url, ca_file))
    assert f"{login.url} answered POST /services/oauth2/token with a redirect (HTTP 307)" in str(refused.value)
    assert elsewhere.connections == 0 and len(login.requests) == 1  # refused at once, not retried


async def test_introspection_is_not_redirected(ca, ca_file, elsewhere):
    def answer(request):
        if request.path.endswith("/token"):
            return token_reply(login.url)
        return Reply(307, {"Location": f"{elsewhere.url}/services/oauth2/introspect"})

    with CaptureServer.running(answer, tls=ca) as login:
        with pytest.raises(Redirected, match="introspect"):
            await refresh_access_token(sf_settings(login.url, ca_file))
    assert elsewhere.connections == 0


async def test_an_instance_url_off_the_allowlist_is_refused_before_the_token_goes_there(ca, ca_file):
    with CaptureServer.running(tls=ca) as instance:
        with CaptureServer.running(lambda _r: token_reply(f"https://localhost:{instance.port}"), tls=ca) as login:
            with pytest.raises(EndpointNotAllowed, match="the token response's instance_url: https://localhost"):
                await refresh_access_token(sf_settings(login.url, ca_file))
    assert instance.connections == 0


async def test_rest_calls_through_simple_salesforce_are_not_redirected(ca, ca_file, elsewhere):
    with CaptureServer.running(redirect_to(f"{elsewhere.url}/services/data/v60.0/query", 302), tls=ca) as org:
        connection = SalesforceConnection(sf_settings(org.url, ca_file))
        connection.tokens._token = AccessToken("FAKE-access-token-trust-2", org.url, f"{org.url}/id/00D/005",
                                               time.time(), time.time() + 3600, True)
        try:
            with pytest.raises(Redirected, match="HTTP 302"):
                await connection.query("SELECT Id FROM User")
        finally:
            connection.close()
    assert elsewhere.connections == 0 and len(org.requests) == 1


async def test_a_login_url_off_the_allowlist_gets_no_connection(ca, ca_file):
    with CaptureServer.running(tls=ca) as login:
        with pytest.raises(EndpointNotAllowed):
            await refresh_access_token(sf_settings(f"https://localhost:{login.port}", ca_file))
    assert login.connections == 0


async def test_a_hostile_error_description_becomes_one_bounded_line(ca, ca_file):
    hostile = {"error": "invalid_client\nReady=True", "error_description": "bad\n\x1b[2Jforged: " + "z" * 3000}
    with CaptureServer.running(lambda _r: Reply(400, body=hostile), tls=ca) as login:
        with pytest.raises(OAuthError) as refused:
            await refresh_access_token(sf_settings(login.url, ca_file))
    message = str(refused.value)
    assert refused.value.error == "unknown_error" and "\n" not in message and "\x1b" not in message
    assert len(refused.value.description) <= 200 and "bad [2Jforged" in message


async def test_dns_rebinding_to_a_metadata_address_is_caught_at_the_socket(monkeypatch, ca, ca_file):
    # The name resolves to an allowed address when checked and to a forbidden one when urllib3 connects:
    # the peer of the socket is checked before a byte is sent. 127.0.0.2 plays the metadata address.
    monkeypatch.setattr(endpoints, "NEVER_ALLOWED_NETWORKS",
                        (*endpoints.NEVER_ALLOWED_NETWORKS, ipaddress.ip_network("127.0.0.2/32")))
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "127.0.0.2"])

    def rebinding(host, *args, **kwargs):
        if host == "rebind.example.test":
            host = next(answers, "127.0.0.2")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with CaptureServer.running(tls=ca, host="127.0.0.2") as metadata:
        settings = sf_settings(f"https://rebind.example.test:{metadata.port}", ca_file,
                               allowlist=Allowlist.with_defaults(["*.example.test"]))
        with pytest.raises(EndpointNotAllowed, match=re.escape("resolves to 127.0.0.2")):
            await refresh_access_token(settings)
    assert metadata.received == b""
