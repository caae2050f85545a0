"""Normalising two servers' answers so they compare, and the differences between two observations.

What can never be equal is replaced: uids and object resourceVersions by labels in order of first
appearance within a case (so "the same resourceVersion as before" and "the owner's uid" still compare),
Table column descriptions are left out (documentation kubectl never prints),
the resourceVersion of a list, Table or bookmark by `<rv>` (the real server's revision counts writes the
sandbox never sees: leases, controllers), timestamps by `<time>`, ages in Table cells by `<age>`, a
generateName suffix by `*****`, a continue token by `<continue>`; managedFields are dropped. A refusal is
reduced to its code, reason, details and causes (field and reason, the message only when asked for, with a
whole object quoted in it shortened to `"{…}"`).
"""

from __future__ import annotations

import re
from typing import Any

ABSENT = "<absent>"
_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
_AGE = re.compile(r"^(\d+(s|m|h|d|y))+$")
# a whole object quoted as a bad value (the real server quotes a patched object that does not decode)
_QUOTED_OBJECT = re.compile(r'"\{(?:[^"\\]|\\.)*\}"')


class Normaliser:
    """Per case and server: the labels given to uids and resourceVersions so far."""

    def __init__(self) -> None:
        self.labels: dict[tuple[str, str], str] = {}

    def _label(self, kind: str, raw: str) -> str:
        key = (kind, raw)
        if key not in self.labels:
            self.labels[key] = f"<{kind}{sum(1 for k in self.labels if k[0] == kind) + 1}>"
        return self.labels[key]

    def value(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return self.mapping(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, str):
            if key == "uid" and value:
                return self._label("uid", value)
            if key == "resourceVersion" and value:
                return self._label("rv", value)
            if _TIME.match(value):
                return "<time>"
        return value

    def mapping(self, obj: dict[str, Any]) -> dict[str, Any]:
        out = {key: self.value(item, key) for key, item in sorted(obj.items()) if key != "managedFields"}
        meta = out.get("metadata")
        if isinstance(meta, dict):
            generate, name = meta.get("generateName"), meta.get("name")
            if isinstance(generate, str) and isinstance(name, str) and name.startswith(generate) and generate:
                meta["name"] = generate + "*" * (len(name) - len(generate))
        return out

    def answer(self, body: Any, message: bool = False, raw: bool = False) -> Any:
        """One response body: a refusal, a list, a Table or an object (`raw`: a client's view, as it is)."""
        if raw or not isinstance(body, dict):
            return body
        kind = body.get("kind", "")
        if kind == "Status" and body.get("status") == "Failure":
            return self.refusal(body, message)
        if kind == "Table":
            return self.table(body)
        if kind.endswith("List") and isinstance(body.get("items"), list):
            return self.listing(body)
        return self.mapping(body)

    def _list_meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        out = dict(meta)
        if out.get("resourceVersion"):
            out["resourceVersion"] = "<rv>"
        if out.get("continue"):
            out["continue"] = "<continue>"
        return out

    def listing(self, body: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in body.items() if k not in ("metadata", "items")}
        out["metadata"] = self._list_meta(body.get("metadata") or {})
        out["items"] = [self.value(item) for item in body["items"]]
        return out

    def table(self, body: dict[str, Any]) -> dict[str, Any]:
        # kubectl reads a column's name, type, format and priority; the description is documentation
        columns = [{k: v for k, v in c.items() if k != "description"} for c in body.get("columnDefinitions") or []]
        rows = []
        for row in body.get("rows") or []:
            cells = [self._cell(cell, columns[i] if i < len(columns) else {})
                     for i, cell in enumerate(row.get("cells") or [])]
            rows.append({**self.mapping({k: v for k, v in row.items() if k != "cells"}), "cells": cells})
        return {"kind": "Table", "apiVersion": body.get("apiVersion"),
                "metadata": self._list_meta(body.get("metadata") or {}),
                "columnDefinitions": columns, "rows": rows}

    @staticmethod
    def _cell(cell: Any, column: dict[str, Any]) -> Any:
        if isinstance(cell, str) and _TIME.match(cell):
            return "<time>"
        aged = column.get("type") == "date" or "Seen" in column.get("name", "") or column.get("name") == "Age"
        if isinstance(cell, str) and _AGE.match(cell) and aged:
            return "<age>"
        return cell

    def refusal(self, body: dict[str, Any], message: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"code": body.get("code"), "reason": body.get("reason", ABSENT)}
        details = body.get("details")
        if details is not None:
            summary = {k: v for k, v in details.items() if k not in ("causes", "uid")}
            if "causes" in details:
                summary["causes"] = [
                    {"field": c.get("field", ABSENT), "reason": c.get("reason", ABSENT),
                     **({"message": _message(c.get("message", ABSENT))} if message else {})}
                    for c in details["causes"]]
            out["details"] = summary
        if message:
            out["message"] = _message(body.get("message", ABSENT))
        return out

    def event(self, event: Any, message: bool = False) -> Any:
        if not isinstance(event, dict):
            return event
        kind, obj = event.get("type"), event.get("object")
        if kind == "ERROR" and isinstance(obj, dict):
            return {"type": kind, "object": self.refusal(obj, message)}
        if kind == "BOOKMARK" and isinstance(obj, dict):
            meta = dict(obj.get("metadata") or {})
            if meta.get("resourceVersion"):
                meta["resourceVersion"] = "<rv>"
            return {"type": kind, "object": {**{k: v for k, v in obj.items() if k != "metadata"},
                                             "metadata": meta}}
        if isinstance(obj, dict) and obj.get("kind") == "Table":
            return {"type": kind, "object": self.table(obj)}
        return {"type": kind, "object": self.value(obj)}


def scrub(value: Any, namespace: str) -> Any:
    """`value` with the case's namespace written `{ns}` wherever it appears, keys and strings alike."""
    if isinstance(value, dict):
        return {scrub(k, namespace): scrub(v, namespace) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, namespace) for v in value]
    if isinstance(value, str):
        return value.replace(namespace, "{ns}")
    return value


def _message(text: str) -> str:
    """A message with any quoted object shortened to "{…}": it holds uids, times and managedFields."""
    return _QUOTED_OBJECT.sub('"{…}"', text)


def diff(sandbox: Any, real: Any, path: str = "") -> dict[str, list[Any]]:
    """Every leaf where the two differ: path -> [sandbox, real]; lists of unequal length are one leaf."""
    if isinstance(sandbox, dict) and isinstance(real, dict):
        out: dict[str, list[Any]] = {}
        for key in sorted(set(sandbox) | set(real), key=str):
            out.update(diff(sandbox.get(key, ABSENT), real.get(key, ABSENT), f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(sandbox, list) and isinstance(real, list) and len(sandbox) == len(real):
        out = {}
        for index, (left, right) in enumerate(zip(sandbox, real, strict=True)):
            out.update(diff(left, right, f"{path}[{index}]"))
        return out
    return {} if sandbox == real else {path: [sandbox, real]}
