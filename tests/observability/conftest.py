"""Fixtures for the observability tests: a fresh metrics registry served over real HTTP, and
log output captured from a handler installed exactly as the operator installs it."""

from __future__ import annotations

import io
import json
import logging
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from qxo.observability import logs
from qxo.observability.metrics import MetricsServer, OperatorMetrics


class Scraper:
    """GETs /metrics from a running server and indexes the samples by name and labels."""

    def __init__(self, server: MetricsServer) -> None:
        self.url = f"http://127.0.0.1:{server.port}/metrics"

    def text(self) -> str:
        with urllib.request.urlopen(self.url, timeout=10) as response:
            assert response.status == 200
            return response.read().decode()

    def samples(self) -> dict[tuple[str, frozenset], float]:
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(self.text())
            for sample in family.samples
        }

    def value(self, name: str, **labels: str) -> float | None:
        return self.samples().get((name, frozenset(labels.items())))


@pytest.fixture
def operator_metrics() -> OperatorMetrics:
    return OperatorMetrics()


@pytest.fixture
def scraper(operator_metrics: OperatorMetrics) -> Iterator[Scraper]:
    server = operator_metrics.start_server(0, addr="127.0.0.1")
    try:
        yield Scraper(server)
    finally:
        server.stop()


class CapturedLogs:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[str]:
        return self.text().splitlines()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def json_logs(restore_root_logger: None) -> CapturedLogs:
    stream = io.StringIO()
    logs.configure(stream=stream, level="DEBUG")
    return CapturedLogs(stream)
