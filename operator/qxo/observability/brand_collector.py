"""The brand clients' own counters, read at scrape time and exported as Prometheus metrics.

The brand client already counts every HTTP attempt, retry, 429 and rate-limiter wait in its
stats object; reading those at scrape time (instead of mirroring each increment) keeps the
client free of any metrics code and the numbers identical to what the client saw.

A stats provider returns a mapping (or a dataclass such as the client's BrandStats) with
any of these keys; absent keys are simply not exported:

    reads, writes                  HTTP attempts by access, retries included
    retries                        attempts that were retried after a 429, 5xx, timeout or drop
    throttled                      429 responses received
    rate_limit_waits               attempts that had to wait for the client-side limiter
    rate_limit_wait_seconds        total time spent waiting for it
    requests                       {(method, route, status): count}; status None or 0 when no
                                   response came back; route is an operation name or template
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from qxo.observability.labels import LabelValues, status_class

log = logging.getLogger("qxo.observability")

StatsProvider = Callable[[], Any]

# (stats key, metric name, help, extra label) for the flat counters of a stats object.
_FLAT = (
    ("retries", "qxo_brand_retries", "Brand API attempts retried after a 429, 5xx, timeout or dropped connection."),
    ("throttled", "qxo_brand_throttled", "429 Too Many Requests responses received from the brand."),
    ("rate_limit_waits", "qxo_brand_rate_limit_waits", "Brand API attempts delayed by the client-side rate limiter."),
    ("rate_limit_wait_seconds", "qxo_brand_rate_limit_wait_seconds",
     "Seconds spent waiting for the client-side rate limiter before brand API attempts."),
)
_METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE")


class BrandClientCollector(Collector):
    """Holds one stats provider per brand and turns their counters into metric families."""

    def __init__(self) -> None:
        self._providers: dict[str, StatsProvider] = {}
        self._lock = threading.Lock()
        self._brand = LabelValues("brand", limit=100)
        self._route = LabelValues("route", limit=100)
        self._method = LabelValues("method", _METHODS)

    def observe(self, brand: str, stats_provider: StatsProvider) -> Callable[[], None]:
        """Export `brand`'s counters from now on (replacing an earlier provider); returns `forget`."""
        label = self._brand(brand)
        with self._lock:
            self._providers[label] = stats_provider

        def forget() -> None:
            with self._lock:
                if self._providers.get(label) is stats_provider:
                    del self._providers[label]

        return forget

    def describe(self) -> list[Metric]:
        # Nothing to check against other collectors; avoids a collect() at registration.
        return []

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            providers = list(self._providers.items())
        attempts = CounterMetricFamily("qxo_brand_attempts", "Brand API HTTP attempts (retries included) by access.",
                                       labels=["brand", "access"])
        requests = CounterMetricFamily("qxo_brand_requests", "Brand API HTTP attempts by route and status class.",
                                       labels=["brand", "method", "route", "status"])
        flat = {key: CounterMetricFamily(name, help_text, labels=["brand"]) for key, name, help_text in _FLAT}
        for brand, provider in providers:
            stats = _read(brand, provider)
            if stats is None:
                continue
            for access, key in (("read", "reads"), ("write", "writes")):
                if key in stats:
                    attempts.add_metric([brand, access], _number(stats[key]))
            for key, family in flat.items():
                if key in stats:
                    family.add_metric([brand], _number(stats[key]))
            for (method, route, status), count in self._by_route(stats.get("requests")).items():
                requests.add_metric([brand, method, route, status], count)
        yield attempts
        yield requests
        yield from flat.values()

    def _by_route(self, requests: Any) -> dict[tuple[str, str, str], float]:
        totals: dict[tuple[str, str, str], float] = defaultdict(float)
        if not isinstance(requests, Mapping):
            return totals
        for key, count in requests.items():
            if not (isinstance(key, tuple) and len(key) == 3):
                continue
            method, route, status = key
            totals[(self._method(str(method).upper()), self._route(route), status_class(status))] += _number(count)
        return totals


def _read(brand: str, provider: StatsProvider) -> Mapping[str, Any] | None:
    # A scrape must survive a broken provider: that brand's series are skipped, the rest exported.
    try:
        stats = provider()
        if dataclasses.is_dataclass(stats) and not isinstance(stats, type):
            return dataclasses.asdict(stats)
        if isinstance(stats, Mapping):
            return stats
        raise TypeError(f"stats provider returned {type(stats).__name__}, not a mapping or dataclass")
    except Exception:
        log.warning("brand %s: stats provider failed; its metrics are skipped in this scrape", brand, exc_info=True)
        return None


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
