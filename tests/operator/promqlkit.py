"""PromQL for the alert and dashboard tests: parse with promql-parser, evaluate a small subset on scrapes.

Parsing is promql-parser's (the Python binding of GreptimeDB's PromQL parser): a malformed
expression fails here as it would in Prometheus. Evaluation covers what qxo's rules use, at one
instant over a list of scrapes of a real operator:

- instant selectors (the latest scrape holding the series), range selectors inside `rate` and
  `increase`, `absent`;
- `sum`, `min`, `max`, `count`, `avg` with `by` / `without`;
- arithmetic and comparisons (filtering, or with `bool`) between vectors and scalars, one-to-one
  matching with `on` / `ignoring`, and `and`, `or`, `unless`.

Differences from Prometheus, all in the direction of fewer surprises in a test: `rate` and
`increase` use the first and last sample in the window without extrapolating to its edges, there
is no lookback limit for instant selectors, and `for:` is not evaluated (the expression is).
Every series carries the labels a scrape adds (job, namespace, pod, instance); the `up` series of
each scrape is 1, or 0 for a scrape that failed.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import promql_parser as pq
from prometheus_client.parser import text_string_to_metric_families

Labels = frozenset  # of (name, value) pairs, __name__ included
Vector = dict  # Labels -> float


class Unsupported(Exception):
    """The expression uses PromQL this evaluator does not implement."""


@dataclass
class Scrape:
    at: float  # seconds
    samples: dict  # Labels -> float; empty when the scrape failed
    up: bool = True


@dataclass
class Target:
    labels: dict[str, str] = field(default_factory=lambda: {
        "job": "qxo", "namespace": "qxo-system", "pod": "qxo-operator-0", "instance": "10.0.0.1:9090"})
    scrapes: list[Scrape] = field(default_factory=list)

    def add(self, at: float, exposition: str | None) -> None:
        """Record one scrape: the /metrics text, or None when the endpoint did not answer."""
        samples: dict = {}
        for family in text_string_to_metric_families(exposition or ""):
            for sample in family.samples:
                samples[frozenset({**sample.labels, **self.labels, "__name__": sample.name}.items())] = sample.value
        samples[frozenset({**self.labels, "__name__": "up"}.items())] = 1.0 if exposition is not None else 0.0
        self.scrapes.append(Scrape(at, samples, exposition is not None))


def parse(expr: str):
    return pq.parse(expr)


def selectors(node) -> Iterator[pq.VectorSelector]:
    """Every vector selector in an expression, ranges and function arguments included."""
    if isinstance(node, pq.VectorSelector):
        yield node
    elif isinstance(node, pq.MatrixSelector):
        yield node.vector_selector
    elif isinstance(node, pq.BinaryExpr):
        yield from selectors(node.lhs)
        yield from selectors(node.rhs)
    elif isinstance(node, pq.AggregateExpr):
        yield from selectors(node.expr)
        if node.param is not None:
            yield from selectors(node.param)
    elif isinstance(node, pq.Call):
        for arg in node.args:
            yield from selectors(arg)
    elif isinstance(node, pq.ParenExpr | pq.UnaryExpr | pq.SubqueryExpr):
        yield from selectors(node.expr)


def matches(matcher: pq.Matcher, labels: dict[str, str]) -> bool:
    value = labels.get(matcher.name, "")
    if matcher.op == pq.MatchOp.Equal:
        return value == matcher.value
    if matcher.op == pq.MatchOp.NotEqual:
        return value != matcher.value
    found = re.fullmatch(matcher.value, value) is not None
    return found if matcher.op == pq.MatchOp.Re else not found


def _select(selector: pq.VectorSelector, samples: dict) -> Vector:
    out = {}
    for labels, value in samples.items():
        as_dict = dict(labels)
        if selector.name and as_dict["__name__"] != selector.name:
            continue
        if all(matches(m, as_dict) for m in selector.matchers.matchers):
            out[labels] = value
    return out


def _without_name(labels: Labels) -> Labels:
    return frozenset((k, v) for k, v in labels if k != "__name__")


class Evaluator:
    """Evaluates one expression at the time of the target's last scrape."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.now = target.scrapes[-1].at

    def __call__(self, expr: str) -> Vector | float:
        return self.eval(pq.parse(expr))

    def eval(self, node):
        if isinstance(node, pq.NumberLiteral):
            return float(node.val)
        if isinstance(node, pq.ParenExpr):
            return self.eval(node.expr)
        if isinstance(node, pq.UnaryExpr):
            value = self.eval(node.expr)
            return -value if isinstance(value, float) else {_without_name(k): -v for k, v in value.items()}
        if isinstance(node, pq.VectorSelector):
            return self._instant(node)
        if isinstance(node, pq.Call):
            return self._call(node)
        if isinstance(node, pq.AggregateExpr):
            return self._aggregate(node)
        if isinstance(node, pq.BinaryExpr):
            return self._binary(node)
        raise Unsupported(f"{type(node).__name__}: {node}")

    def _instant(self, selector: pq.VectorSelector) -> Vector:
        latest: Vector = {}
        for scrape in self.target.scrapes:
            latest.update(_select(selector, scrape.samples))
        return latest

    def _window(self, matrix: pq.MatrixSelector) -> dict:
        start = self.now - matrix.range.total_seconds()
        points: dict = defaultdict(list)
        for scrape in self.target.scrapes:
            if scrape.at > start:
                for labels, value in _select(matrix.vector_selector, scrape.samples).items():
                    points[labels].append((scrape.at, value))
        return points

    def _call(self, call: pq.Call) -> Vector:
        name = call.func.name
        if name in ("rate", "increase"):
            out = {}
            for labels, points in self._window(call.args[0]).items():
                if len(points) < 2:
                    continue
                grown = sum(b - a if b >= a else b for (_, a), (_, b) in itertools.pairwise(points))
                seconds = points[-1][0] - points[0][0]
                out[_without_name(labels)] = grown if name == "increase" else grown / seconds
            return out
        if name == "absent":
            if self.eval(call.args[0]):
                return {}
            (selector, *_) = [*selectors(call.args[0])]
            equal = {m.name: m.value for m in selector.matchers.matchers if m.op == pq.MatchOp.Equal}
            return {frozenset(equal.items()): 1.0}
        raise Unsupported(f"function {name}")

    def _aggregate(self, agg: pq.AggregateExpr) -> Vector:
        op = str(agg.op)
        if op not in ("sum", "min", "max", "count", "avg"):
            raise Unsupported(f"aggregation {op}")
        modifier = agg.modifier
        names = set(modifier.labels) if modifier is not None else set()
        without = modifier is not None and modifier.type == pq.AggModifierType.Without
        groups: dict = defaultdict(list)
        for labels, value in self.eval(agg.expr).items():
            if without:
                key = frozenset((k, v) for k, v in labels if k not in names and k != "__name__")
            else:
                key = frozenset((k, v) for k, v in labels if k in names)
            groups[key].append(value)
        reduce = {"sum": sum, "min": min, "max": max, "count": len, "avg": lambda v: sum(v) / len(v)}[op]
        return {key: float(reduce(values)) for key, values in groups.items()}

    def _binary(self, node: pq.BinaryExpr):
        op = str(node.op)
        lhs, rhs = self.eval(node.lhs), self.eval(node.rhs)
        modifier = node.modifier
        return_bool = modifier is not None and modifier.return_bool
        if op in ("and", "or", "unless"):
            return self._set_operation(op, lhs, rhs, modifier)
        if isinstance(lhs, float) and isinstance(rhs, float):
            return _apply(op, lhs, rhs, True) if op in _COMPARISONS else _apply(op, lhs, rhs, False)
        if isinstance(rhs, float) or isinstance(lhs, float):
            vector, scalar, vector_left = (lhs, rhs, True) if isinstance(rhs, float) else (rhs, lhs, False)
            out = {}
            for labels, value in vector.items():
                a, b = (value, scalar) if vector_left else (scalar, value)
                result = _apply(op, a, b, return_bool)
                if result is None:
                    continue
                keep_name = op in _COMPARISONS and not return_bool
                out[labels if keep_name else _without_name(labels)] = value if keep_name else result
            return out
        out = {}
        right = {self._match_key(labels, modifier): (labels, value) for labels, value in rhs.items()}
        for labels, value in lhs.items():
            found = right.get(self._match_key(labels, modifier))
            if found is None:
                continue
            result = _apply(op, value, found[1], return_bool)
            if result is None:
                continue
            keep_name = op in _COMPARISONS and not return_bool
            out[labels if keep_name else _without_name(labels)] = value if keep_name else result
        return out

    @staticmethod
    def _match_key(labels: Labels, modifier) -> Labels:
        matching = modifier.matching if modifier is not None else None
        if matching is None:
            return _without_name(labels)
        names = set(matching.labels)
        if matching.type == pq.LabelModifierType.Include:
            return frozenset((k, v) for k, v in labels if k in names)
        return frozenset((k, v) for k, v in labels if k not in names and k != "__name__")

    def _set_operation(self, op: str, lhs: Vector, rhs: Vector, modifier) -> Vector:
        right_keys = {self._match_key(labels, modifier) for labels in rhs}
        if op == "and":
            return {k: v for k, v in lhs.items() if self._match_key(k, modifier) in right_keys}
        if op == "unless":
            return {k: v for k, v in lhs.items() if self._match_key(k, modifier) not in right_keys}
        left_keys = {self._match_key(labels, modifier) for labels in lhs}
        return {**lhs, **{k: v for k, v in rhs.items() if self._match_key(k, modifier) not in left_keys}}


_COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}


def _apply(op: str, a: float, b: float, return_bool: bool) -> float | None:
    """`a op b`; for a filtering comparison None means the sample is dropped."""
    if op in _COMPARISONS:
        holds = {"==": a == b, "!=": a != b, ">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
        return float(holds) if return_bool else (a if holds else None)
    if op == "/":
        return a / b if b else (math.nan if a == 0 else math.copysign(math.inf, a))
    return {"+": a + b, "-": a - b, "*": a * b, "%": math.fmod(a, b) if b else math.nan, "^": a ** b}[op]
