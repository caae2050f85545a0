"""The operator's Prometheus metrics: what to count, with which labels, and the /metrics endpoint.

Module-level functions record into one process-wide `OperatorMetrics`; tests build their own
instance for a clean registry. Every label is bounded (see `labels`): object names, ids and
secrets never become label values, and no call here ever raises for an odd value.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from qxo.observability import labels
from qxo.observability.brand_collector import BrandClientCollector, StatsProvider
from qxo.observability.conditions import ConditionsCollector
from qxo.observability.labels import KINDS, RECONCILE_RESULTS, TOKEN_REFRESH_RESULTS, LabelValues

# From a no-op resync (milliseconds) to a rate-limited first converge of a large brand (minutes).
RECONCILE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class _QuietRequestHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        # wsgiref writes an access line to stderr per scrape: noise, and it would break the
        # one-JSON-object-per-line log stream.
        pass


class MetricsServer:
    """A running /metrics endpoint on a daemon thread; call it (or `stop()`) to shut it down."""

    def __init__(self, registry: CollectorRegistry, port: int, addr: str) -> None:
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        server_class = type("MetricsHTTPServer", (ThreadingWSGIServer,), {"address_family": family})
        self._httpd = make_server(addr, port, make_wsgi_app(registry), server_class, handler_class=_QuietRequestHandler)
        self.addr = addr
        self.port: int = self._httpd.server_port
        # A short poll interval only bounds how long stop() waits for the loop to notice.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="qxo-metrics", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    __call__ = stop


class OperatorMetrics:
    """Every qxo metric in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process_metrics: bool = False) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        if process_metrics:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self._kind = LabelValues("kind", KINDS)
        self._result = LabelValues("result", RECONCILE_RESULTS)
        self._refresh_result = LabelValues("result", TOKEN_REFRESH_RESULTS)
        self._check = LabelValues("check", limit=30)
        r = self.registry
        self._reconciles = Counter("qxo_reconciles_total", "Finished reconciles by kind and result.",
                                   ["kind", "result"], registry=r)
        self._duration = Histogram("qxo_reconcile_duration_seconds", "Wall time of one reconcile, by kind and result.",
                                   ["kind", "result"], buckets=RECONCILE_BUCKETS, registry=r)
        self._drift_detected = Counter("qxo_drift_detected_total",
                                       "Differences found between declared and observed brand state.", ["kind"],
                                       registry=r)
        self._drift_corrected = Counter("qxo_drift_corrected_total",
                                        "Drifted differences the operator wrote back to the declared state.", ["kind"],
                                        registry=r)
        self._rotations = Counter("qxo_credential_rotations_total",
                                  "Credential rotations applied to the brand after a Secret changed.", ["kind"],
                                  registry=r)
        self._token_refreshes = Counter("qxo_salesforce_token_refreshes_total",
                                        "Salesforce OAuth refresh-token exchanges by result.", ["result"], registry=r)
        self._preflight_failures = Counter("qxo_salesforce_preflight_failures_total",
                                           "Failed SalesforceLink preflight checks by check name.", ["check"],
                                           registry=r)
        self.conditions = ConditionsCollector()
        self.brands = BrandClientCollector()
        r.register(self.conditions)
        r.register(self.brands)

    def start_server(self, port: int, addr: str = "127.0.0.1") -> MetricsServer:
        """Serve /metrics on `addr:port` (port 0 picks a free one) in a daemon thread; loopback unless told."""
        return MetricsServer(self.registry, port, addr)

    def reconcile_finished(self, kind: str, result: str, seconds: float) -> None:
        """One reconcile of one object ended with `result` after `seconds`."""
        labels = (self._kind(kind), self._result(result))
        self._reconciles.labels(*labels).inc()
        self._duration.labels(*labels).observe(max(0.0, float(seconds)))

    def drift(self, kind: str, detected: int, corrected: int) -> None:
        """One observation found `detected` differences and wrote back `corrected` of them."""
        label = self._kind(kind)
        self._drift_detected.labels(label).inc(max(0, detected))
        self._drift_corrected.labels(label).inc(max(0, corrected))

    def rotation(self, kind: str) -> None:
        self._rotations.labels(self._kind(kind)).inc()

    def salesforce_token_refresh(self, result: str) -> None:
        self._token_refreshes.labels(self._refresh_result(result)).inc()

    def preflight_failure(self, check: str) -> None:
        self._preflight_failures.labels(self._check(check)).inc()

    def resource_conditions(self, kind: str, key: str, conditions: Iterable[Mapping[str, Any]]) -> None:
        """The object `key` (e.g. "namespace/name"; never exported) now has these conditions."""
        self.conditions.record(kind, key, conditions)

    def resource_deleted(self, kind: str, key: str) -> None:
        self.conditions.forget(kind, key)

    def observe_brand_client(self, brand: str, stats_provider: StatsProvider) -> Callable[[], None]:
        """Export a brand client's counters under `brand`, read at each scrape; returns `forget`."""
        return self.brands.observe(brand, stats_provider)


_default: OperatorMetrics | None = None
_default_lock = threading.Lock()


def default() -> OperatorMetrics:
    """The process-wide metrics, created (with process and GC metrics) on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = OperatorMetrics(process_metrics=True)
        return _default


def start_server(port: int, addr: str = "127.0.0.1") -> MetricsServer:
    return default().start_server(port, addr)


def allow_kind(kind: str) -> None:
    """Count `kind` under its own name in every metric with a `kind` label."""
    labels.allow_kind(kind)


def reconcile_finished(kind: str, result: str, seconds: float) -> None:
    default().reconcile_finished(kind, result, seconds)


def drift(kind: str, detected: int, corrected: int) -> None:
    default().drift(kind, detected, corrected)


def rotation(kind: str) -> None:
    default().rotation(kind)


def salesforce_token_refresh(result: str) -> None:
    default().salesforce_token_refresh(result)


def preflight_failure(check: str) -> None:
    default().preflight_failure(check)


def resource_conditions(kind: str, key: str, conditions: Iterable[Mapping[str, Any]]) -> None:
    default().resource_conditions(kind, key, conditions)


def resource_deleted(kind: str, key: str) -> None:
    default().resource_deleted(kind, key)


def observe_brand_client(brand: str, stats_provider: StatsProvider) -> Callable[[], None]:
    return default().observe_brand_client(brand, stats_provider)
