"""Log records as one JSON object per line, or as one readable line for a terminal.

Both formats carry the same fields: time, level, logger, message, the bound context (kind,
namespace, name, generation, request_id), kopf's object reference mapped onto kind/namespace/
name, any structured extras, and the exception as text; every caller-supplied string in them
passes through the redactor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from qxo.observability.redaction import MASK, Redactor, is_secret_key

CONTEXT_FIELDS = ("kind", "namespace", "name", "generation", "request_id")
CONTEXT_ATTR = "qxo_context"

# Attributes every LogRecord has, so whatever else a record carries came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
# kopf's per-object loggers attach these: the object reference is mapped to fields below, the
# posting flag means nothing to a reader, and its settings object is far too big to log.
_KOPF = frozenset({"k8s_ref", "k8s_skip", "settings"})


def record_fields(record: logging.LogRecord, redactor: Redactor, formatter: logging.Formatter) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"),
        "level": record.levelname,
        "logger": record.name,
        "message": redactor.text(_message(record)),
    }
    fields.update(_context(record, redactor))
    for key, value in vars(record).items():
        if key in _STANDARD or key in _KOPF or key == CONTEXT_ATTR or key in fields:
            continue
        fields[key] = MASK if is_secret_key(key) else redactor.data(value)
    if record.exc_info:
        fields["exc_info"] = redactor.text(formatter.formatException(record.exc_info))
    elif record.exc_text:
        fields["exc_info"] = redactor.text(record.exc_text)
    if record.stack_info:
        fields["stack_info"] = redactor.text(formatter.formatStack(record.stack_info))
    return fields


def _message(record: logging.LogRecord) -> str:
    # A format string whose arguments do not match must not turn into a stderr traceback that
    # breaks the one-JSON-object-per-line promise.
    try:
        return record.getMessage()
    except Exception as error:
        return f"{record.msg!s} (log arguments did not fit the message: {type(error).__name__})"


def _context(record: logging.LogRecord, redactor: Redactor) -> dict[str, Any]:
    context = dict(getattr(record, CONTEXT_ATTR, None) or {})
    ref = getattr(record, "k8s_ref", None)
    if isinstance(ref, Mapping):
        # The record names its object explicitly: that wins over the task's bound context.
        for key in ("kind", "namespace", "name"):
            if ref.get(key):
                context[key] = ref[key]
    return {key: redactor.data(context[key]) for key in CONTEXT_FIELDS if context.get(key) is not None}


class JsonFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        # Every caller-supplied string was redacted field by field; a pass over the serialised
        # line could cut through JSON syntax when a secret happens to match it.
        return json.dumps(record_fields(record, self._redactor, self), ensure_ascii=False, default=str)


class HumanFormatter(logging.Formatter):
    """`2026-01-02 03:04:05.678 INFO    qxo.reconcile [ExtensionInstall team/slack gen=3] message k=v`"""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        fields = record_fields(record, self._redactor, self)
        time = fields.pop("time").replace("T", " ").rstrip("Z")
        level, logger, message = fields.pop("level"), fields.pop("logger"), fields.pop("message")
        where = _where(fields)
        exc = fields.pop("exc_info", None)
        stack = fields.pop("stack_info", None)
        extras = " ".join(f"{key}={_short(value)}" for key, value in fields.items())
        line = " ".join(part for part in (time, f"{level:<7}", logger, where, message, extras) if part)
        for block in (exc, stack):
            if block:
                line += "\n" + block
        return self._redactor.values(line)


def _where(fields: dict[str, Any]) -> str:
    kind, namespace, name = (fields.pop(key, None) for key in ("kind", "namespace", "name"))
    generation, request_id = fields.pop("generation", None), fields.pop("request_id", None)
    parts = [str(kind)] if kind else []
    if name:
        parts.append(f"{namespace}/{name}" if namespace else str(name))
    if generation is not None:
        parts.append(f"gen={generation}")
    if request_id:
        parts.append(f"req={request_id}")
    return f"[{' '.join(parts)}]" if parts else ""


def _short(value: Any) -> str:
    return value if isinstance(value, str) and " " not in value else json.dumps(value, ensure_ascii=False, default=str)
