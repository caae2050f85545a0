"""One brand request, done right: rate limit, auth, retries with backoff and jitter, typed errors.

Retried: 429, 5xx, timeouts and dropped connections, with exponential backoff and full jitter
(or the brand's Retry-After when it sends one), within `max_attempts` and
`retry_budget_seconds`; then RateLimited or Unavailable. Everything else becomes a typed error
at once. POSTs always carry an X-Client-Request-Id that stays the same across retries, so a
create whose response was lost is replayed by the brand instead of done twice.

Credentials go nowhere but the brand: every URL is checked against the allowlist before the
request waits for its turn (a refused endpoint gets no connection at all), the resolver refuses
names that resolve to link-local or metadata addresses, and a 3xx is an error, never followed.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl as ssl_module
import time
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

from qxo.qualtrics import errors
from qxo.qualtrics.auth import Authenticator
from qxo.qualtrics.config import BrandConfig
from qxo.qualtrics.guard import guarded_connector, redirect_error, refuse_unless_allowed
from qxo.qualtrics.ratelimit import RateClaim, bucket_for
from qxo.qualtrics.routes import ROUTES

log = logging.getLogger("qxo.qualtrics")

_RETRY_STATUSES = {429, 500, 502, 503, 504}
_DROPPED = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError)


@dataclass
class BrandStats:
    """Counters the operator exports as metrics; every HTTP attempt counts once."""

    reads: int = 0
    writes: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    throttled: int = 0  # 429s received


@dataclass
class _Outcome:
    status: int
    body: Any
    retry_after: float | None = None
    location: str | None = None


class Transport:
    def __init__(self, config: BrandConfig, *, rng: random.Random | None = None) -> None:
        self.config = config
        self.stats = BrandStats()
        self._limiter = bucket_for(config.limiter_key)
        self._claim: RateClaim | None = None
        self._shares_rate = False
        self._auth = Authenticator(config)
        self._rng = rng or random.Random()
        self._ssl = ssl_module.create_default_context(cafile=config.ca_bundle)
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=guarded_connector(), raise_for_status=False)
            # aiohttp silently resends idempotent requests once when a kept-alive connection drops;
            # our own retry policy decides instead, so attempts, stats and backoff stay honest.
            self._session._retry_connection = False

    async def close(self) -> None:
        self._release_rate()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def share_rate_limit(self) -> None:
        """The brand accepted this client's token: from now on its declared rate counts for the shared bucket."""
        self._shares_rate = True
        self._claim_rate()

    def _claim_rate(self) -> None:
        if self._shares_rate and self._claim is None:
            self._claim = RateClaim(self.config.limiter_key, self.config.requests_per_minute)

    def _release_rate(self) -> None:
        if self._claim is not None:
            self._claim.release()
            self._claim = None

    async def call(self, operation: str, *, json: Any = None,
                   query: dict[str, str] | None = None, client_request_id: str | None = None,
                   **path_params: str) -> Any:
        """Run one operation by name; returns the envelope's `result`."""
        route = ROUTES[operation]
        path_params.setdefault("brand_id", self.config.brand_id)
        url = self.config.root_url + route.path(**_needed(route.template, path_params))
        headers = {"Accept": "application/json"}
        if route.method == "POST":
            headers["X-Client-Request-Id"] = client_request_id or str(uuid.uuid4())
        return await self.request(route.method, url, operation, json=json, query=query, headers=headers)

    async def request(self, method: str, url: str, operation: str, *, json: Any = None,
                      query: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Any:
        """Send with retries; `url` may be a brand-given nextPage URL."""
        refuse_unless_allowed(self.config, url)
        await self.open()
        started = time.monotonic()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                outcome = await self._attempt(method, url, json, query, headers or {})
            except errors.TLSVerificationFailed:
                raise
            except errors.Unavailable as error:  # timeouts, drops, token endpoint down
                outcome, failure = None, error
            else:
                failure = None
                if outcome.status < 300:
                    self._claim_rate()  # accepted again after a refusal: its rate counts again
                    return _result(outcome.body)
                if outcome.status < 400:
                    raise redirect_error(self.config, method, url, outcome.status, outcome.location)
                if outcome.status == 401 and not refreshed and self._auth.invalidate():
                    refreshed = True
                    continue
                if outcome.status == 401:
                    self._release_rate()  # no longer authenticated: its rate stops counting
                if method == "DELETE" and outcome.status == 404 and attempt > 1:
                    return None  # an earlier attempt deleted it; its response was lost
                if outcome.status not in _RETRY_STATUSES:
                    raise errors.from_envelope(outcome.status, outcome.body)
                failure = errors.from_envelope(outcome.status, outcome.body)
                failure.retry_after = outcome.retry_after
            delay = self._backoff(attempt, failure.retry_after)
            spent = time.monotonic() - started
            if attempt >= self.config.max_attempts or spent + delay > self.config.retry_budget_seconds:
                log.warning("brand %s %s gave up after %d attempts: %s", method, operation, attempt, failure)
                raise failure
            if isinstance(failure, errors.RateLimited) and self._claim is not None:
                self._limiter.penalize(delay)  # only a session the brand accepted moves the shared bucket
            self.stats.retries += 1
            log.info("brand %s %s retry %d in %.2fs: %s", method, operation, attempt, delay, failure)
            await asyncio.sleep(delay)

    async def _attempt(self, method: str, url: str, json: Any, query: dict[str, str] | None,
                       headers: dict[str, str]) -> _Outcome:
        waited = await self._limiter.acquire()
        if waited > 0:
            self.stats.rate_limit_waits += 1
            self.stats.rate_limit_wait_seconds += waited
        if method == "GET":
            self.stats.reads += 1
        else:
            self.stats.writes += 1
        session = self._session
        all_headers = {**headers, **await self._auth.headers(session, self._ssl)}
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_seconds)
        try:
            async with session.request(method, url, json=json, params=query, headers=all_headers,
                                       ssl=self._ssl, timeout=timeout, allow_redirects=False) as response:
                if 300 <= response.status < 400:
                    return _Outcome(response.status, None, location=response.headers.get("Location"))
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                if response.status == 429:
                    self.stats.throttled += 1
                return _Outcome(response.status, body, _retry_after(response.headers.get("Retry-After")))
        except errors.EndpointRefused:
            raise
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as error:
            raise errors.TLSVerificationFailed(
                f"TLS verification of {self.config.root_url} failed ({type(error).__name__}); "
                "check ca_bundle") from None
        except TimeoutError:
            raise errors.Unavailable(f"brand timed out after {self.config.timeout_seconds}s") from None
        except _DROPPED as error:
            raise errors.Unavailable(f"brand connection dropped ({type(error).__name__})") from None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cap = self.config.backoff_max_seconds
        if retry_after is not None:
            return min(retry_after, cap)
        return self._rng.uniform(0, min(cap, self.config.backoff_base_seconds * 2 ** (attempt - 1)))


def _needed(template: str, params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if "{" + k + "}" in template}


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: fall back to our own backoff rather than parse clocks


def _result(body: Any) -> Any:
    return body.get("result") if isinstance(body, dict) else None
