"""The operator's Prometheus endpoint, scraped while it converges the examples."""

from __future__ import annotations

import socket
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def counts(samples: dict[tuple[str, tuple], float]) -> tuple[float, float, float]:
    """(grants Ready, reconciles that ended ready, brand write attempts) from one scrape."""
    def total(metric: str, **wanted: str) -> float:
        return sum(value for (name, labels), value in samples.items()
                   if name == metric and all(dict(labels).get(k) == v for k, v in wanted.items()))
    return (total("qxo_resources", kind="AccountGrant", condition="Ready", status="True"),
            total("qxo_reconciles_total", result="ready"),
            total("qxo_brand_attempts_total", access="write"))


def test_metrics_count_reconciles_brand_requests_and_ready_resources(world, examples):
    port = free_port()
    world.kill_operator()  # the fixture's operator has no metrics port; SIGKILL leaves no half-written line
    world.start_operator("--metrics-port", str(port))
    world.apply(examples)
    world.wait_condition("AccountGrant", "ticketing")
    # Both grants Ready, at least one ready reconcile per resource, and the 9 writes examples/ needs.
    world.wait_for(lambda: (lambda c: c[0] >= 2 and c[1] >= 7 and c[2] >= 9)(counts(scrape(port))),
                   "the metrics to count the converged examples", timeout=60)
