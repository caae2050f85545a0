"""The operator's logging: one redacted JSON object per line, readable text on a terminal.

`configure` installs the handler on the root logger (so kopf's, aiohttp's and qxo's records all
pass through it); `bind` adds the object being reconciled to every record of the current task;
`redact_values` registers concrete secret values to mask wherever they would appear.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, TextIO

from qxo.observability.formatting import CONTEXT_ATTR, HumanFormatter, JsonFormatter
from qxo.observability.redaction import Redactor

_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar("qxo_log_context",
                                                                              default=MappingProxyType({}))
_redactor = Redactor()


class _ContextFilter(logging.Filter):
    """Stamps the emitting task's bound context on the record before any formatting."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, CONTEXT_ATTR):
            setattr(record, CONTEXT_ATTR, _context.get())
        return True


class QxoHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure` installs; replaced, never duplicated, by a later `configure`."""


def configure(json_output: bool | None = None, level: str | int = "INFO", *,
              stream: TextIO | None = None) -> QxoHandler:
    """Send every log record to `stream` (stderr) as JSON, or as text when `json_output` is
    False; None means JSON unless the stream is a terminal. Returns the installed handler."""
    stream = stream if stream is not None else sys.stderr
    if json_output is None:
        json_output = not _is_terminal(stream)
    numeric = _level(level)
    handler = QxoHandler(stream)
    handler.setFormatter(JsonFormatter(_redactor) if json_output else HumanFormatter(_redactor))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, QxoHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    return handler


@contextmanager
def bind(*, kind: str | None = None, namespace: str | None = None, name: str | None = None,
         generation: int | None = None, request_id: str | None = None) -> Iterator[Mapping[str, Any]]:
    """Add these fields to every record logged in this task until the block ends.

    Nested binds merge; a field passed as None keeps the outer value. Each asyncio task has its
    own copy, so concurrent reconciles never see each other's fields.
    """
    given = {"kind": kind, "namespace": namespace, "name": name, "generation": generation, "request_id": request_id}
    merged = MappingProxyType({**_context.get(), **{k: v for k, v in given.items() if v is not None}})
    token = _context.set(merged)
    try:
        yield merged
    finally:
        _context.reset(token)


def current_context() -> Mapping[str, Any]:
    """The fields `bind` has attached to records of the current task."""
    return _context.get()


def redact_values(values: Iterable[object]) -> None:
    """Mask these exact values (e.g. a Secret's data just read) in every later log line.

    Values shorter than 4 characters are ignored: masking them would garble ordinary text.
    """
    _redactor.register(values)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    numeric = logging.getLevelName(str(level).upper())
    if not isinstance(numeric, int):
        raise ValueError(f"level: unknown log level {level!r}; use DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return numeric
