"""SOQL text the preflight sends: string literals escaped as Salesforce specifies, and simple SELECTs built on them.

Values come from user specs (the connected app's name, object and field names), so every one goes
through `soql_literal`. The escapes are those of Salesforce's "Quoted String Escape Sequences"
(https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/api/sforce_api_calls_soql_select_quotedstringescapes.htm):
backslash, single and double quote, new line, carriage return, tab, backspace (`\\b`) and form feed; any
other control character is written as `\\uXXXX`, the page's escape for a character by its code.
"""

from __future__ import annotations

from collections.abc import Iterable

_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return f"\\u{ord(char):04x}"
    return char


def soql_literal(value: str) -> str:
    """`value` as a quoted SOQL string literal that reads back as exactly `value`."""
    return "'" + "".join(_escaped(char) for char in value) + "'"


def soql(fields: str, sobject: str, **where: str | Iterable[str]) -> str:
    """SELECT fields FROM sobject WHERE a = 'x' AND b IN ('y', 'z'), every value quoted by soql_literal."""
    clauses = [
        f"{name} = {soql_literal(value)}"
        if isinstance(value, str)
        else f"{name} IN ({', '.join(soql_literal(v) for v in value)})"
        for name, value in where.items()
    ]
    # Values are escaped literals and names are our own constants, so this is no injection vector.
    text = f"SELECT {fields} FROM {sobject}"  # noqa: S608
    return text + (" WHERE " + " AND ".join(clauses) if clauses else "")
