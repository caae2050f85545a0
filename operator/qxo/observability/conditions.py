"""How many resources of each kind are in each condition state, counted at scrape time.

Handlers know one object's conditions right after reconciling it, not fleet-wide totals, so
they report per object and this collector counts. Object keys live only in memory here and
never become labels.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from qxo.observability.labels import CONDITION_STATUSES, KINDS, LabelValues

MAX_SHARED = 256  # distinct condition sets kept to share; objects beyond keep their own


class ConditionsCollector(Collector):
    def __init__(self) -> None:
        self._states: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
        self._lock = threading.Lock()
        self._kind = LabelValues("kind", KINDS)
        self._condition = LabelValues("condition", limit=20)
        self._status = LabelValues("status", CONDITION_STATUSES)
        self._exported: set[tuple[str, str, str]] = set()
        # The few distinct sets of (condition, status) pairs, shared by every object that holds one.
        self._shared: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}

    def record(self, kind: str, key: str, conditions: Iterable[Mapping[str, Any]]) -> None:
        """Remember `key`'s current conditions (each a mapping with `type` and `status`)."""
        pairs = tuple(sorted({
            (self._condition(c["type"]), self._status(c.get("status", "Unknown")))
            for c in conditions if isinstance(c, Mapping) and c.get("type")
        }))
        with self._lock:
            if len(self._shared) < MAX_SHARED or pairs in self._shared:
                pairs = self._shared.setdefault(pairs, pairs)
            self._states[(self._kind(kind), str(key))] = pairs

    def forget(self, kind: str, key: str) -> None:
        with self._lock:
            self._states.pop((self._kind(kind), str(key)), None)

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        counts: Counter[tuple[str, str, str]] = Counter()
        with self._lock:
            for (kind, _key), pairs in self._states.items():
                for condition, status in pairs:
                    counts[(kind, condition, status)] += 1
            # A state nobody is in any more reads 0 rather than vanishing, so alerts and graphs
            # see it drop instead of going stale.
            self._exported |= counts.keys()
            for labels in self._exported:
                counts.setdefault(labels, 0)
        family = GaugeMetricFamily("qxo_resources", "Resources known to the operator by kind and condition status.",
                                   labels=["kind", "condition", "status"])
        for labels, count in sorted(counts.items()):
            family.add_metric(list(labels), count)
        yield family
