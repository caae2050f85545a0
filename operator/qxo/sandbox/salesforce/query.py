"""Evaluates a parsed SOQL query against the sandbox org's tables, as the REST query resource answers it.

Field and object names match without regard to case and come back spelled as the API defines them;
text compares without regard to case (as SOQL does for text fields); a lookup path comes back as a
nested record with its own `attributes`; COUNT() answers `totalSize` with no records. Follows the
REST query resource (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm)
and SOQL's comparison operators
(https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_comparisonoperators.htm).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from qxo.sandbox.salesforce.soql import NO_COLUMN, NO_RELATIONSHIP, NO_TYPE, SoqlError, located, moment, parse
from qxo.sandbox.salesforce.tables import TABLES

API_VERSION = "60.0"


def _canonical(names, wanted: str) -> str | None:
    return next((n for n in names if n.lower() == wanted.lower()), None)


class _Scope:
    """One query's view of the org: each table's rows built once, ids indexed for lookups."""

    def __init__(self, org: dict, text: str, can_view_setup: bool) -> None:
        self.org, self.text, self.can_view_setup = org, text, can_view_setup
        self._rows: dict[str, list[dict]] = {}
        self._by_id: dict[str, dict[str, dict]] = {}

    def table(self, written: str, at: int) -> str:
        name = _canonical(TABLES, written)
        if name is None or (TABLES[name].setup and not self.can_view_setup):
            raise SoqlError("INVALID_TYPE", located(self.text, at, NO_TYPE.format(written)))
        return name

    def rows(self, table: str) -> list[dict]:
        if table not in self._rows:
            self._rows[table] = TABLES[table].rows(self.org)
            self._by_id[table] = {row["Id"]: row for row in self._rows[table]}
        return self._rows[table]

    def by_id(self, table: str, ident: Any) -> dict | None:
        self.rows(table)
        return self._by_id[table].get(ident)

    def resolve(self, table: str, path: str, at: int) -> list[tuple[str, str]]:
        """The path as (table, canonical name) hops: lookups first, the column last."""
        hops = []
        parts = path.split(".")
        for i, part in enumerate(parts):
            spec = TABLES[table]
            if i == len(parts) - 1:
                column = _canonical(spec.columns, part)
                if column is None:
                    raise SoqlError("INVALID_FIELD", located(self.text, at, NO_COLUMN.format(part, table)))
                hops.append((table, column))
            else:
                relation = _canonical(spec.lookups, part)
                target = spec.lookups.get(relation) if relation else None
                if target is None or (TABLES[target[0]].setup and not self.can_view_setup):
                    raise SoqlError("INVALID_FIELD", located(self.text, at, NO_RELATIONSHIP.format(part)))
                hops.append((table, relation))
                table = target[0]
        return hops

    def value(self, row: dict | None, hops: list[tuple[str, str]]) -> Any:
        for table, name in hops[:-1]:
            if row is None:
                return None
            target, foreign_key = TABLES[table].lookups[name]
            row = self.by_id(target, row.get(foreign_key))
        return None if row is None else row.get(hops[-1][1])


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(right, datetime) and isinstance(left, str):
        return moment(left), right
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold(), right.casefold()
    return left, right


def _like(value: Any, pattern: str) -> bool:
    if not isinstance(value, str):
        return False
    wildcards = {"%": ".*", "_": "."}
    regex = "".join(re.escape(token[1]) if token.startswith("\\") else wildcards.get(token, re.escape(token))
                    for token in re.findall(r"\\[%_]|.", pattern, re.S))
    return re.fullmatch(regex, value, re.S | re.I) is not None


def _matches(scope: _Scope, table: str, row: dict, node: Any, at: dict[str, int]) -> bool:
    op = node[0]
    if op in ("and", "or"):
        left = _matches(scope, table, row, node[1], at)
        return (left and _matches(scope, table, row, node[2], at)) if op == "and" else \
            (left or _matches(scope, table, row, node[2], at))
    if op == "not":
        return not _matches(scope, table, row, node[1], at)
    value = scope.value(row, scope.resolve(table, node[1], at.get(node[1], 0)))
    if op in ("in", "notin"):
        found = any(_comparable(value, v)[0] == _comparable(value, v)[1] for v in node[2])
        return found if op == "in" else not found
    if op == "like":
        return _like(value, node[2])
    left, right = _comparable(value, node[2])
    if op in ("=", "!="):
        return (left == right) == (op == "=")
    if left is None or right is None:
        return False
    try:
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    except TypeError:
        return False


def _attributes(table: str, row: dict) -> dict:
    return {"type": table, "url": f"/services/data/v{API_VERSION}/sobjects/{table}/{row.get('Id')}"}


def _place(scope: _Scope, record: dict, row: dict, hops: list[tuple[str, str]]) -> None:
    """Put one selected path into the record: a column, or nested records along its lookups."""
    table, name = hops[0]
    if len(hops) == 1:
        record[name] = row.get(name)
        return
    target, foreign_key = TABLES[table].lookups[name]
    related = scope.by_id(target, row.get(foreign_key))
    if related is None:
        record[name] = None
        return
    nested = record.get(name) or {"attributes": _attributes(target, related)}
    record[name] = nested
    _place(scope, nested, related, hops[1:])


def execute(org: dict, text: str, can_view_setup: bool) -> tuple[int, list[dict]]:
    """(totalSize, records) for one SOQL query, or SoqlError as Salesforce would answer."""
    query = parse(text)
    scope = _Scope(org, text, can_view_setup)
    table = scope.table(query.sobject, query.at.get(query.sobject, 0))
    selected = [scope.resolve(table, path, query.at.get(path, 0)) for path in query.fields]
    rows = [row for row in scope.rows(table)
            if query.where is None or _matches(scope, table, row, query.where, query.at)]
    for path, descending, nulls_first in reversed(query.order):
        hops = scope.resolve(table, path, query.at.get(path, 0))
        first = (not descending) if nulls_first is None else nulls_first
        present = [r for r in rows if scope.value(r, hops) is not None]
        absent = [r for r in rows if scope.value(r, hops) is None]
        present.sort(key=lambda r, h=hops: _comparable(scope.value(r, h), "")[0], reverse=descending)
        rows = absent + present if first else present + absent
    total = len(rows)
    rows = rows[query.offset or 0:]
    if query.limit is not None:
        rows = rows[: query.limit]
    if query.count:
        return (min(total, query.limit) if query.limit is not None else total), []
    records = []
    for row in rows:
        record = {"attributes": _attributes(table, row)}
        for hops in selected:
            _place(scope, record, row, hops)
        records.append(record)
    return len(records), records
