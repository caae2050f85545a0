"""Random CEL expressions either fail to compile with CelCompileError or evaluate to a value or CelError."""

from hypothesis import given, settings
from hypothesis import strategies as st

from qxo.admission.cel import CelCompileError, compile_expression
from qxo.admission.cellib import CelError

ATOMS = [
    "self",
    "self.s",
    "self.n",
    "self.l",
    "self.m",
    "1",
    "-1",
    "1.5",
    "'a'",
    "true",
    "null",
    "[1, 'a']",
    "{'k': 1}",
    "b'x'",
    "2u",
    "x",
    "self.missing",
]
METHODS = [
    "size()",
    "contains('a')",
    "startsWith('a')",
    "matches('[a')",
    "split(',')",
    "join()",
    "indexOf('a')",
    "substring(1, 0)",
    "charAt(9)",
    "replace('a', 'b')",
    "lowerAscii()",
    "trim()",
    "sum()",
    "min()",
    "isSorted()",
    "all(x, x)",
    "exists(x, x > 1)",
    "map(x, x + 1)",
    "filter(x, x)",
    "getHost()",
    "hasValue()",
    "orValue(1)",
    "reverse()",
    "findAll('a', 1)",
    "getFullYear()",
    "matches()",
]
FUNCTIONS = [
    "size",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "duration",
    "timestamp",
    "dyn",
    "isURL",
    "url",
    "matches",
]
OPERATORS = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in"]

expressions = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(METHODS)).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(st.sampled_from(FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} ? {t[1]} : {t[2]})"),
        st.tuples(inner).map(lambda t: f"!{t[0]}"),
    ),
    max_leaves=12,
)
SELF = {"s": "a,b", "n": 3, "l": [3, 1, 2], "m": {"k": "v"}}


@settings(max_examples=400, deadline=None)
@given(expression=expressions | st.text(max_size=40))
def test_compile_and_evaluate_fail_only_with_cel_errors(expression):
    try:
        program = compile_expression(expression)
    except CelCompileError:
        return
    try:
        program({"self": SELF})
    except CelError:
        pass
