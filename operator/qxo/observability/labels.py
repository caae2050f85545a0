"""Bounded label values: every metric label stays low-cardinality whatever a caller passes.

A metrics call must never break a reconcile, so a value outside a label's known set (or past
an open label's limit of distinct values) is folded into "other" and reported once in the log,
instead of raising or creating an unbounded series.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

log = logging.getLogger("qxo.observability")

OTHER = "other"
MAX_VALUE_LENGTH = 64

# The kinds the operator reconciles, as its kinds table registers them (`allow_kind`); a set shared by every
# `kind` label, so a kind added to the table gets its own series without a change here.
KINDS: set[str] = set()
RECONCILE_RESULTS = ("ready", "waiting", "deferred", "retrying", "refused", "paused", "drifted")
TOKEN_REFRESH_RESULTS = ("ok", "revoked", "failed")
CONDITION_STATUSES = ("True", "False", "Unknown")


def allow_kind(kind: str) -> None:
    """Admit `kind` as a value of every `kind` label (the kinds table calls this once per kind)."""
    KINDS.add(kind)


class LabelValues:
    """One label's admissible values: a closed set (kept by reference when a `set`, so it may grow), or an
    open set capped at `limit` values."""

    def __init__(self, label: str, known: Iterable[str] | None = None, *, limit: int = 50) -> None:
        self.label = label
        self._known = known if isinstance(known, set) else frozenset(known) if known is not None else None
        self._limit = limit
        self._seen: set[str] = set()
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: object) -> str:
        text = str(value)
        if self._known is not None:
            return text if text in self._known else self._fold(text, f"not one of {sorted(self._known)}")
        if not text or len(text) > MAX_VALUE_LENGTH or not text.isprintable():
            return self._fold(text, f"empty, unprintable or longer than {MAX_VALUE_LENGTH} characters")
        with self._lock:
            if text in self._seen:
                return text
            if len(self._seen) < self._limit:
                self._seen.add(text)
                return text
        return self._fold(text, f"past the limit of {self._limit} distinct values")

    def _fold(self, text: str, why: str) -> str:
        with self._lock:
            first = text not in self._warned
            if first and len(self._warned) < 1000:
                self._warned.add(text)
        if first:
            # The value itself is shown truncated: it came from code, but may be long or odd.
            log.warning("metric label %s=%.40r %s; counted as %r", self.label, text, why, OTHER)
        return OTHER


def status_class(status: object) -> str:
    """An HTTP status as its class ("2xx" … "5xx"); "error" when no response came back."""
    try:
        code = int(status)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "error"
    return f"{code // 100}xx" if 100 <= code <= 599 else "error"
