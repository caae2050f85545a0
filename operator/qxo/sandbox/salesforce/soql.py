"""SOQL as the sandbox org answers it: a real parser for the SELECT statements integrations write.

    SELECT COUNT() | path[, path]* FROM Object
      [WHERE condition] [ORDER BY path [ASC|DESC] [NULLS FIRST|LAST][, ...]] [LIMIT n] [OFFSET n]

where a path is a field or a lookup followed to a field (`Parent.Name`, `Profile.Name`), and a
condition combines `path op value`, `path [NOT] IN (values)` and `path LIKE 'pattern'` with AND, OR,
NOT and parentheses. Values are quoted strings with SOQL's escape sequences, numbers, true, false,
null and dateTime/date literals. Errors are worded as Salesforce words them: MALFORMED_QUERY with the
row and column, INVALID_TYPE for an unknown or unreadable object, INVALID_FIELD for an unknown column
or relationship. Followed:
- SOQL SELECT syntax: https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm
- Quoted String Escape Sequences (`\\n \\r \\t \\b \\f \\" \\' \\\\`, `\\uXXXX`; `\\_` and `\\%` in LIKE only; any
  other backslash is an error): https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/api/sforce_api_calls_soql_select_quotedstringescapes.htm
  The page calls `\\b` "Bell"; its translations say backspace, which is what `\\b` means everywhere else
  and what qxo's escaping sends, so `\\b` is read as U+0008.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class SoqlError(Exception):
    def __init__(self, error_code: str, message: str):
        super().__init__(message)
        self.error_code = error_code
        self.message = message


_ESCAPES = {"n": "\n", "N": "\n", "r": "\r", "R": "\r", "t": "\t", "T": "\t", "b": "\b", "B": "\b",
            "f": "\f", "F": "\f", '"': '"', "'": "'", "\\": "\\"}
_TOKEN = re.compile(
    r"(?P<space>\s+)|(?P<str>'(?:[^'\\]|\\.)*')"
    r"|(?P<datetime>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))?)(?![\w.])"
    r"|(?P<num>-?\d+(?:\.\d+)?)(?![\w.])|(?P<word>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)"
    r"|(?P<sym><=|>=|!=|<>|[(),=<>])"
)
_KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC", "DESC", "NULLS",
             "FIRST", "LAST", "LIMIT", "OFFSET", "NULL", "TRUE", "FALSE"}
NO_COLUMN = ("No such column '{0}' on entity '{1}'. If you are attempting to use a custom field, be sure to append "
              "the '__c' after the custom field name. Please reference your WSDL or the describe call for the "
              "appropriate names.")
NO_RELATIONSHIP = ("Didn't understand relationship '{0}' in field path. If you are attempting to use a custom "
                    "relationship, be sure to append the '__r' after the custom relationship name. Please reference "
                    "your WSDL or the describe call for the appropriate names.")
NO_TYPE = ("sObject type '{0}' is not supported. If you are attempting to use a custom object, be sure to append "
           "the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate "
           "names.")


@dataclass(frozen=True)
class Token:
    kind: str  # str | datetime | num | word | sym | eof
    text: str
    at: int


def located(text: str, at: int, message: str) -> str:
    """Salesforce's error layout: the query, a caret under the spot, the row and column, then what is wrong."""
    row = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1)
    line = text.splitlines()[row - 1] if text.strip() else ""
    return f"\n{line}\n{' ' * column}^\nERROR at Row:{row}:Column:{column + 1}\n{message}"


def unescape(body: str, *, like: bool = False) -> str:
    """The value of a quoted string's body; an escape Salesforce does not define is MALFORMED_QUERY."""
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in ("u", "U") and re.fullmatch(r"[0-9A-Fa-f]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif like and nxt in ("_", "%"):
            out.append("\\" + nxt)  # kept escaped: the LIKE matcher reads it as a literal _ or %
            i += 2
        else:
            raise SoqlError("MALFORMED_QUERY", f"Invalid string literal '{body}'. Illegal character sequence "
                                               f"'\\{nxt}' in string literal.")
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise SoqlError("MALFORMED_QUERY", located(text, pos, f"unexpected token: '{text[pos]}'"))
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tokens


@dataclass
class Query:
    sobject: str
    fields: list[str]            # paths as written; empty for COUNT()
    count: bool
    where: Any                   # a condition tree, or None
    order: list[tuple[str, bool, bool | None]]  # (path, descending, nulls first)
    limit: int | None
    offset: int | None
    at: dict[str, int]           # where each path and the object name were written, for error carets


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.tokens, self.pos = text, tokenize(text), 0
        self.at: dict[str, int] = {}

    def peek(self, *words: str) -> bool:
        token = self.tokens[self.pos]
        return token.kind in ("word", "sym") and token.text.upper() in words

    def fail(self, token: Token | None = None) -> SoqlError:
        token = token or self.tokens[self.pos]
        shown = token.text if token.kind == "eof" else f"'{token.text}'"
        return SoqlError("MALFORMED_QUERY", located(self.text, token.at, f"unexpected token: {shown}"))

    def take(self, word: str | None = None, kind: str | None = None) -> Token:
        token = self.tokens[self.pos]
        if (word and token.text.upper() != word) or (kind and token.kind != kind) or token.kind == "eof":
            raise self.fail(token)
        self.pos += 1
        return token

    def path(self) -> str:
        token = self.take(kind="word")
        if token.text.upper() in _KEYWORDS:
            raise self.fail(token)
        self.at.setdefault(token.text, token.at)
        return token.text

    def parse(self) -> Query:
        self.take("SELECT")
        count = False
        fields: list[str] = []
        if self.peek("COUNT") and self.tokens[self.pos + 1].text == "(":
            self.pos += 1
            self.take("(")
            self.take(")")
            count = True
        else:
            fields.append(self.path())
            while self.peek(","):
                self.pos += 1
                fields.append(self.path())
        self.take("FROM")
        name = self.take(kind="word")
        self.at[name.text] = name.at
        where = None
        if self.peek("WHERE"):
            self.pos += 1
            where = self.disjunction()
        order = []
        if self.peek("ORDER"):
            self.pos += 1
            self.take("BY")
            order.append(self.order_item())
            while self.peek(","):
                self.pos += 1
                order.append(self.order_item())
        limit = self.number_after("LIMIT")
        offset = self.number_after("OFFSET")
        if self.tokens[self.pos].kind != "eof":
            raise self.fail()
        return Query(name.text, fields, count, where, order, limit, offset, self.at)

    def number_after(self, word: str) -> int | None:
        if not self.peek(word):
            return None
        self.pos += 1
        return int(self.take(kind="num").text)

    def order_item(self) -> tuple[str, bool, bool | None]:
        path = self.path()
        descending = False
        if self.peek("ASC", "DESC"):
            descending = self.take().text.upper() == "DESC"
        nulls_first = None
        if self.peek("NULLS"):
            self.pos += 1
            nulls_first = self.take().text.upper() == "FIRST" if self.peek("FIRST", "LAST") else None
            if nulls_first is None:
                raise self.fail()
        return path, descending, nulls_first

    def disjunction(self) -> Any:
        node = self.conjunction()
        while self.peek("OR"):
            self.pos += 1
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> Any:
        node = self.negation()
        while self.peek("AND"):
            self.pos += 1
            node = ("and", node, self.negation())
        return node

    def negation(self) -> Any:
        if self.peek("NOT"):
            self.pos += 1
            return ("not", self.negation())
        if self.peek("("):
            self.pos += 1
            node = self.disjunction()
            self.take(")")
            return node
        return self.comparison()

    def comparison(self) -> Any:
        path = self.path()
        negated = False
        if self.peek("NOT"):
            self.pos += 1
            negated = True
            if not self.peek("IN"):
                raise self.fail()
        if self.peek("IN"):
            self.pos += 1
            self.take("(")
            values = [self.value()]
            while self.peek(","):
                self.pos += 1
                values.append(self.value())
            self.take(")")
            return ("notin" if negated else "in", path, values)
        if self.peek("LIKE"):
            self.pos += 1
            token = self.take(kind="str")
            return ("like", path, unescape(token.text[1:-1], like=True))
        token = self.tokens[self.pos]
        if token.kind != "sym" or token.text not in ("=", "!=", "<>", "<", "<=", ">", ">="):
            raise self.fail()
        self.pos += 1
        return ({"<>": "!="}.get(token.text, token.text), path, self.value())

    def value(self) -> Any:
        token = self.tokens[self.pos]
        self.pos += 1
        if token.kind == "str":
            return unescape(token.text[1:-1])
        if token.kind == "num":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "datetime":
            return moment(token.text)
        if token.kind == "word" and token.text.upper() in ("TRUE", "FALSE"):
            return token.text.upper() == "TRUE"
        if token.kind == "word" and token.text.upper() == "NULL":
            return None
        raise self.fail(token)


def parse(text: str) -> Query:
    return _Parser(text).parse()


def moment(text: str) -> datetime:
    """A dateTime or date literal (or a stored value such as 2024-01-15T09:30:00.000+0000) as naive UTC."""
    parsed = datetime.fromisoformat(re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text.replace("Z", "+00:00")))
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
