"""TLS is always verified: a custom CA bundle lets the client trust a private brand, nothing else does."""

from __future__ import annotations

import ssl

import pytest
import trustme
from brandkit import fast_config

from qxo.qualtrics import BrandClient, errors
from qxo.sandbox.brand import BrandSandbox


@pytest.fixture
async def tls_sandbox(tmp_path):
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    sb = BrandSandbox(str(tmp_path / "brand.db"))
    await sb.start(ssl_context=server_context)
    yield sb, str(ca_file)
    await sb.stop()


async def test_a_ca_bundle_lets_the_client_verify_a_private_brand(tls_sandbox):
    sb, ca_file = tls_sandbox
    assert sb.base_url.startswith("https://")
    async with BrandClient(fast_config(sb, ca_bundle=ca_file)) as brand:
        assert (await brand.whoami()).brand_id == "acme"


async def test_an_unverifiable_certificate_fails_at_once_without_retries(tls_sandbox):
    sb, _ = tls_sandbox
    async with BrandClient(fast_config(sb)) as brand:
        with pytest.raises(errors.TLSVerificationFailed) as failed:
            await brand.whoami()
        assert brand.stats.retries == 0 and "ca_bundle" in str(failed.value)


async def test_the_oauth_token_endpoint_is_verified_too(tls_sandbox):
    sb, _ = tls_sandbox
    client = sb.oauth_clients["admin@acme.example"]
    config = fast_config(sb, api_token=None, oauth_client_id=client["client_id"],
                         oauth_client_secret=client["client_secret"])
    async with BrandClient(config) as brand:
        with pytest.raises(errors.TLSVerificationFailed):
            await brand.whoami()
        assert brand.stats.retries == 0
