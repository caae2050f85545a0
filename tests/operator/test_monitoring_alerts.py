"""The alert rules evaluated on scrapes of a running operator: quiet when healthy, firing when it is not."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import promql_parser as pq
import promqlkit
import pytest
from test_lifecycle import add_a_domain_in_the_ui_and_wait_for_its_removal
from test_monitoring_rules import alerts

from qxo.sandbox.salesforce import SalesforceSandbox

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def salesforce():
    with SalesforceSandbox.run_in_thread() as sandbox:
        yield sandbox


class Monitor:
    """Scrapes the operator's /metrics like Prometheus would, and evaluates the rules on what it saw."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.target = promqlkit.Target()
        self.started = time.monotonic()

    def scrape(self) -> None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:
                text = response.read().decode()
        except (urllib.error.URLError, OSError):
            text = None
        self.target.add(time.monotonic() - self.started, text)

    def firing(self) -> set[str]:
        evaluate = promqlkit.Evaluator(self.target)
        return {rule["alert"] for rule in alerts() if evaluate(rule["expr"])}

    def measured(self, name: str) -> dict:
        """The alert's expression without its threshold: what it measures, firing or not."""
        (rule,) = [rule for rule in alerts() if rule["alert"] == name]
        node = pq.parse(rule["expr"])
        while isinstance(node, pq.BinaryExpr):
            node = node.lhs  # `x > N` and `x > N and on (...) y`: keep x
        return promqlkit.Evaluator(self.target).eval(node)


def labels_of(vector: dict) -> list[dict]:
    return [dict(labels) for labels in vector]


def test_alerts_stay_quiet_fire_on_failures_and_name_what_failed(world, salesforce, examples_with_salesforce):
    monitor = Monitor(free_port())
    world.kill_operator()  # the fixture's operator has no metrics port
    world.start_operator("--metrics-port", str(monitor.port))
    # One SalesforceLink's org lacks API Enabled: its preflight fails; everything else converges.
    salesforce.patch_production({"permissionSets": {"X00e5g000001QxoIAAS": {"userPermissions": {"ApiEnabled": False}}}})
    documents = examples_with_salesforce({**salesforce.credentials, "ca_pem": Path(salesforce.ca_path).read_text()})
    world.apply(documents)
    world.wait_condition("AccountGrant", "ticketing", timeout=90)
    world.wait_condition("SalesforceLink", "ana-lima-production", status="False", reason="PreflightFailed", timeout=90)
    monitor.scrape()
    add_a_domain_in_the_ui_and_wait_for_its_removal(world, documents)
    world.wait_for(lambda: monitor.scrape() or monitor.measured("QxoDriftCorrectedRepeatedly"),
                   "the corrected drift to be counted", timeout=30)

    assert monitor.firing() == {"QxoSalesforcePreflightFailing", "QxoResourcesStalled"}
    stalled = monitor.measured("QxoResourcesStalled")
    assert {labels["kind"] for labels in labels_of(stalled)} == {"SalesforceLink"}
    assert labels_of(monitor.measured("QxoDriftCorrectedRepeatedly")) == [
        {"namespace": "qxo-system", "kind": "ExtensionInstall"}]
    # The brand alerts measure real series of the one brand, below their thresholds.
    for name in ("QxoBrandRequestsFailing", "QxoBrandRateLimiterSaturated", "QxoBrandThrottled"):
        assert labels_of(monitor.measured(name)) == [{"namespace": "qxo-system", "brand": "acme"}], name

    # The brand starts refusing the operator's credentials.
    world.core.patch_namespaced_secret("acme-api-token", "qxo-demo", {"stringData": {"token": "revoked-token"}})
    world.wait_condition("QualtricsBrand", "acme", status="False", reason="AuthenticationFailed", timeout=60)
    world.wait_for(lambda: monitor.scrape() or "QxoBrandNotReady" in monitor.firing(),
                   "QxoBrandNotReady to fire", timeout=30)
    assert {"QxoBrandNotReady", "QxoResourcesStalled"} <= monitor.firing()
    assert "QxoOperatorDown" not in monitor.firing()

    world.kill_operator()
    monitor.scrape()
    assert "QxoOperatorDown" in monitor.firing()
