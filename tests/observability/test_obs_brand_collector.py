"""The brand clients' counters, read live at each scrape of the real endpoint."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest


@dataclass
class Stats:
    """The brand client's BrandStats shape, plus the optional per-route counts."""

    reads: int = 0
    writes: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    rate_limit_wait_seconds: float = 0.0
    throttled: int = 0
    requests: dict = field(default_factory=dict)


def test_counters_are_read_live_at_each_scrape(operator_metrics, scraper):
    stats = Stats()
    operator_metrics.observe_brand_client("acme", lambda: stats)
    assert scraper.value("qxo_brand_attempts_total", brand="acme", access="read") == 0

    stats.reads, stats.writes, stats.retries, stats.throttled = 12, 3, 2, 1
    stats.rate_limit_waits, stats.rate_limit_wait_seconds = 4, 1.5
    assert scraper.value("qxo_brand_attempts_total", brand="acme", access="read") == 12
    assert scraper.value("qxo_brand_attempts_total", brand="acme", access="write") == 3
    assert scraper.value("qxo_brand_retries_total", brand="acme") == 2
    assert scraper.value("qxo_brand_throttled_total", brand="acme") == 1
    assert scraper.value("qxo_brand_rate_limit_waits_total", brand="acme") == 4
    assert scraper.value("qxo_brand_rate_limit_wait_seconds_total", brand="acme") == 1.5

    stats.reads += 1
    assert scraper.value("qxo_brand_attempts_total", brand="acme", access="read") == 13


def test_per_route_counts_are_grouped_by_status_class(operator_metrics, scraper):
    stats = Stats(requests={
        ("GET", "list_users", 200): 5,
        ("get", "list_users", 204): 1,
        ("GET", "list_users", 429): 2,
        ("PUT", "install", 503): 1,
        ("PUT", "install", None): 1,  # a timeout: no response at all
        ("POST", "create_account", 0): 1,
    })
    operator_metrics.observe_brand_client("acme", lambda: stats)

    def requests(**labels):
        return scraper.value("qxo_brand_requests_total", brand="acme", **labels)

    assert requests(method="GET", route="list_users", status="2xx") == 6
    assert requests(method="GET", route="list_users", status="4xx") == 2
    assert requests(method="PUT", route="install", status="5xx") == 1
    assert requests(method="PUT", route="install", status="error") == 1
    assert requests(method="POST", route="create_account", status="error") == 1


def test_plain_mappings_work_and_absent_keys_are_not_exported(operator_metrics, scraper):
    operator_metrics.observe_brand_client("acme", lambda: {"reads": 7})

    samples = scraper.samples()
    assert samples[("qxo_brand_attempts_total", frozenset({("brand", "acme"), ("access", "read")}))] == 7
    assert not any(name == "qxo_brand_retries_total" for name, _ in samples)


def test_brands_are_separate_series_and_forget_removes_one(operator_metrics, scraper):
    forget_acme = operator_metrics.observe_brand_client("acme", lambda: Stats(reads=1))
    operator_metrics.observe_brand_client("globex", lambda: Stats(reads=2))
    assert scraper.value("qxo_brand_attempts_total", brand="acme", access="read") == 1
    assert scraper.value("qxo_brand_attempts_total", brand="globex", access="read") == 2

    forget_acme()
    assert scraper.value("qxo_brand_attempts_total", brand="acme", access="read") is None
    assert scraper.value("qxo_brand_attempts_total", brand="globex", access="read") == 2


def test_observing_a_brand_again_replaces_its_provider_and_stale_forget_is_harmless(operator_metrics, scraper):
    forget_old = operator_metrics.observe_brand_client("acme", lambda: Stats(reads=100))
    operator_metrics.observe_brand_client("acme", lambda: Stats(reads=1))
    forget_old()  # the replaced client's cleanup must not remove its successor

    assert scraper.value("qxo_brand_attempts_total", brand="acme", access="read") == 1


@pytest.mark.parametrize("broken", [lambda: 1 / 0, lambda: "not stats", lambda: None])
def test_a_broken_provider_skips_only_its_brand(operator_metrics, scraper, caplog, broken):
    operator_metrics.observe_brand_client("broken", broken)
    operator_metrics.observe_brand_client("acme", lambda: Stats(reads=3))

    with caplog.at_level(logging.WARNING, logger="qxo.observability"):
        assert scraper.value("qxo_brand_attempts_total", brand="acme", access="read") == 3
        assert scraper.value("qxo_brand_attempts_total", brand="broken", access="read") is None
    assert any("broken" in r.getMessage() for r in caplog.records)
