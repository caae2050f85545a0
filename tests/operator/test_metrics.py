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


def test_metrics_count_reconciles_brand_requests_and_ready_resources(world, examples):
    port = free_port()
    world.kill_operator()  # the fixture's operator has no metrics port; SIGKILL leaves no half-written line
    world.start_operator("--metrics-port", str(port))
    world.apply(examples)
    world.wait_condition("AccountGrant", "ticketing")
    samples = world.wait_for(lambda: scrape(port) if any(
        name == "qxo_resources" and dict(labels).get("kind") == "AccountGrant" and dict(labels).get("status") == "True"
        and dict(labels).get("condition") == "Ready" and value >= 1 for (name, labels), value in scrape(port).items())
        else None, "the Ready gauge to count the grants", timeout=30)
    ready_reconciles = sum(value for (name, labels), value in samples.items()
                           if name == "qxo_reconciles_total" and dict(labels).get("result") == "ready")
    assert ready_reconciles >= 7
    writes = sum(value for (name, labels), value in samples.items()
                 if name == "qxo_brand_attempts_total" and dict(labels).get("access") == "write")
    assert writes >= 9
