"""OAuth client credentials, configuration checks, and the one rate limiter per brand."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from brandkit import ADMIN, audit, fast_config
from pydantic import ValidationError

from qxo.qualtrics import BrandClient, BrandConfig, errors
from qxo.qualtrics.ratelimit import LeakyBucket, RateClaim, bucket_for, claimed_rate


def oauth_config(sandbox, **overrides):
    client = sandbox.oauth_clients[ADMIN]
    options = {"api_token": None, "oauth_client_id": client["client_id"],
               "oauth_client_secret": client["client_secret"], **overrides}
    return fast_config(sandbox, **options)


async def test_oauth_token_is_cached_and_refreshed_once_on_401(sandbox):
    async with BrandClient(oauth_config(sandbox)) as brand:
        assert (await brand.whoami()).user_name == ADMIN
        await brand.groups()
        auth = brand._transport._auth
        assert auth.token_requests == 1
        async with aiohttp.ClientSession() as session:
            await session.post(f"{sandbox.base_url}/_sandbox/oauth/expire")
        assert (await brand.whoami()).user_name == ADMIN
        assert auth.token_requests == 2
    totals = (await audit(sandbox))["totals"]
    assert totals["tokens"] == 2 and totals["writes"] == 0  # token requests are not brand writes


async def test_a_wrong_oauth_secret_fails_authentication(sandbox):
    async with BrandClient(oauth_config(sandbox, oauth_client_secret="wrong")) as brand:
        with pytest.raises(errors.AuthenticationFailed) as refused:
            await brand.whoami()
    assert "wrong" not in str(refused.value)


@pytest.mark.parametrize(("options", "field"), [
    ({"base_url": "http://brand.example.com"}, "base_url"),
    ({"base_url": "https://brand.example.com/API/v3"}, "base_url"),
    ({"base_url": "https://a.example", "datacenter": "iad1"}, "base_url"),
    ({"datacenter": "not a dc"}, "datacenter"),
    ({"datacenter": "iad1", "api_token": None}, "api_token"),
    ({"datacenter": "iad1", "oauth_client_id": "x"}, "api_token"),
    ({"datacenter": "iad1", "requests_per_minute": 0}, "requests_per_minute"),
])
def test_bad_configuration_is_refused_naming_the_field(options, field):
    base = {"brand_id": "acme", "api_token": "t"}
    with pytest.raises(ValidationError) as refused:
        BrandConfig(**{**base, **options})
    assert field in str(refused.value)


def test_loopback_http_and_datacenters_are_accepted():
    for host in ("127.0.0.1:8080", "localhost", "[::1]:9"):
        assert BrandConfig(base_url=f"http://{host}", brand_id="b", api_token="t").root_url == f"http://{host}"
    assert BrandConfig(datacenter="iad1", brand_id="b", api_token="t").root_url == "https://iad1.qualtrics.com"


async def test_clients_of_one_brand_share_one_limiter(sandbox):
    async with BrandClient(fast_config(sandbox)) as one, BrandClient(fast_config(sandbox)) as two:
        assert one._transport._limiter is two._transport._limiter
    async with BrandClient(fast_config(sandbox, brand_id="other")) as other:
        assert other._transport._limiter is not one._transport._limiter


def test_the_bucket_spaces_requests_at_the_configured_rate():
    bucket = LeakyBucket(60, burst=1)  # one a second
    waits = [bucket.reserve() for _ in range(4)]
    assert waits[0] == 0
    assert waits[1] == pytest.approx(1, abs=0.05) and waits[3] == pytest.approx(3, abs=0.05)
    bucket.penalize(10)
    assert bucket.reserve() > 9


def test_a_shared_bucket_runs_at_the_lowest_claimed_rate_and_goes_back_when_claims_go():
    key = ("https://rate.example", "brand")
    bucket = bucket_for(key)
    assert bucket.requests_per_minute == 3000  # nobody claimed it: the brand's own limit
    slow, fast = RateClaim(key, 100), RateClaim(key, 2000)
    assert bucket_for(key) is bucket and bucket.requests_per_minute == 100
    slow.release()
    assert bucket.requests_per_minute == 2000 == claimed_rate(key)
    slow.release()  # twice is harmless
    fast.release()
    assert bucket.requests_per_minute == 3000


async def test_the_shared_limiter_throttles_concurrent_clients(sandbox):
    config = fast_config(sandbox, requests_per_minute=600, brand_id="acme")
    async with BrandClient(config) as one, BrandClient(config) as two:
        one.share_rate_limit()  # authenticated (as the operator decides after whoami): its rate counts
        await asyncio.gather(*(c.whoami() for c in (one, two) for _ in range(15)))
        waits = one.stats.rate_limit_waits + two.stats.rate_limit_waits
    # 30 calls at 10/s with a burst of 1: 29 queue in the shared bucket. Slow scheduling on a busy
    # machine can let a few through late, never most of them.
    assert waits >= 20
