"""CEL expressions parsed by cel-python's grammar and compiled once into Python closures over plain JSON values.

cel-python's own evaluators cost milliseconds per rule and convert every value to its wrapper types;
compiling its parse tree to closures keeps admission of a typical object well under a millisecond.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import celpy
import lark

from qxo.admission import celfuncs, cellib
from qxo.admission.cellib import CelError, cel_compare, cel_equal
from qxo.admission.celmacros import Comprehension

Program = Callable[[dict[str, Any]], Any]

_MACROS = {"all", "exists", "exists_one", "map", "filter"}


class CelCompileError(ValueError):
    """The rule does not parse or uses a construct this evaluator does not support."""


@functools.cache
def _parser() -> lark.Lark:
    # A private parser: cel-python keeps one global parser whose tree class depends on who built it first.
    grammar = (Path(celpy.__file__).parent / "cel.lark").read_text()
    return lark.Lark(
        grammar,
        parser="lalr",
        start="expr",
        lexer_callbacks={"IDENT": celpy.CELParser.ambiguous_literals},
        propagate_positions=False,
        maybe_placeholders=False,
        priority="invert",
    )


def compile_expression(text: str) -> Program:
    """Parse and compile `text`; raises CelCompileError with a readable reason."""
    try:
        tree = _parser().parse(text)
        return _compile(tree)
    except lark.exceptions.LarkError as exc:
        raise CelCompileError(f"Syntax error: {str(exc).splitlines()[0]}") from exc
    except RecursionError:
        raise CelCompileError("expression nests too deeply") from None
    except (CelError, ValueError) as exc:
        # literals are evaluated while compiling: 01, an out-of-range int, a bad escape
        raise CelCompileError(f"invalid literal: {exc}") from None


def references(text: str, name: str) -> bool:
    """Whether the expression mentions the identifier `name` (e.g. oldSelf, to spot transition rules)."""
    try:
        tree = _parser().parse(text)
    except lark.exceptions.LarkError:
        return False
    return any(
        isinstance(tok, lark.Token) and tok.type == "IDENT" and tok.value == name
        for sub in tree.iter_subtrees()
        if sub.data == "ident"
        for tok in sub.children
    )


def _compile(tree: lark.Tree) -> Program:
    handler = _HANDLERS.get(tree.data)
    if handler is None:
        raise CelCompileError(f"unsupported expression: {tree.data}")
    return handler(tree)


def _single(tree: lark.Tree) -> Program:
    return _compile(tree.children[0])


def _expr(tree: lark.Tree) -> Program:
    if len(tree.children) == 1:
        return _compile(tree.children[0])
    cond, then, other = (_compile(child) for child in tree.children)

    def conditional(env: dict[str, Any]) -> Any:
        test = cond(env)
        if not isinstance(test, bool):
            raise CelError("no such overload")
        return then(env) if test else other(env)

    return conditional


def _logical(absorbing: bool) -> Callable[[lark.Tree], Program]:
    # CEL's && and || commute over errors: `false && error` is false, whichever side errs.
    def build(tree: lark.Tree) -> Program:
        if len(tree.children) == 1:
            return _compile(tree.children[0])
        left, right = (_compile(child) for child in tree.children)

        def logical(env: dict[str, Any]) -> Any:
            try:
                first = left(env)
                if not isinstance(first, bool):
                    raise CelError("no such overload")
            except CelError:
                second = right(env)
                if second is absorbing:
                    return absorbing
                raise
            if first is absorbing:
                return absorbing
            second = right(env)
            if not isinstance(second, bool):
                raise CelError("no such overload")
            return second

        return logical

    return build


def _binary(operators: dict[str, Callable[[Any, Any], Any]]) -> Callable[[lark.Tree], Program]:
    def build(tree: lark.Tree) -> Program:
        if len(tree.children) == 1:
            return _compile(tree.children[0])
        op_tree, right_tree = tree.children
        operator = operators[op_tree.data]
        left = _compile(op_tree.children[0])
        right = _compile(right_tree)
        return lambda env: operator(left(env), right(env))

    return build


def _in(item: Any, container: Any) -> bool:
    if isinstance(container, list):
        return any(cel_equal(item, element) for element in container)
    if isinstance(container, dict):
        return item in container if isinstance(item, str | int) else False
    raise CelError("no such overload")


_RELATIONS = {
    "relation_lt": lambda a, b: cel_compare(a, b) < 0,
    "relation_le": lambda a, b: cel_compare(a, b) <= 0,
    "relation_gt": lambda a, b: cel_compare(a, b) > 0,
    "relation_ge": lambda a, b: cel_compare(a, b) >= 0,
    "relation_eq": cel_equal,
    "relation_ne": lambda a, b: not cel_equal(a, b),
    "relation_in": _in,
}
_ADDITIONS = {"addition_add": cellib.add, "addition_sub": cellib.subtract}
_MULTIPLICATIONS = {
    "multiplication_mul": cellib.multiply,
    "multiplication_div": cellib.divide,
    "multiplication_mod": cellib.modulo,
}


def _unary(tree: lark.Tree) -> Program:
    if len(tree.children) == 1:
        return _compile(tree.children[0])
    op, operand_tree = tree.children
    operand = _compile(operand_tree)
    if op.data == "unary_not":

        def negate(env: dict[str, Any]) -> bool:
            value = operand(env)
            if not isinstance(value, bool):
                raise CelError("no such overload")
            return not value

        return negate
    return lambda env: cellib.negate(operand(env))


def _member_dot(tree: lark.Tree) -> Program:
    target_tree, name_token = tree.children
    name = str(name_token)
    target = _compile(target_tree)
    return lambda env: cellib.select(target(env), name)


def _args(tree: lark.Tree | None) -> list[lark.Tree]:
    return list(tree.children) if tree is not None else []


def _member_dot_arg(tree: lark.Tree) -> Program:
    target_tree, name_token, *rest = tree.children
    name = str(name_token)
    arg_trees = _args(rest[0] if rest else None)
    if name in _MACROS:
        return _macro(name, target_tree, arg_trees)
    if _ident_name(target_tree) == "optional":
        return celfuncs.optional_constructor(name, [_compile(arg) for arg in arg_trees])
    method = celfuncs.METHODS.get(name)
    if method is None:
        raise CelCompileError(f"undeclared reference to '{name}'")
    _check_arity(name, method, len(arg_trees) + 1)
    target = _compile(target_tree)
    args = [_compile(arg) for arg in arg_trees]

    def call(env: dict[str, Any]) -> Any:
        return _guarded(name, method, target(env), *(arg(env) for arg in args))

    return call


_WRAPPERS = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary", "member", "primary"}
)


def _unwrap(tree: Any) -> Any:
    while isinstance(tree, lark.Tree) and tree.data in _WRAPPERS and len(tree.children) == 1:
        tree = tree.children[0]
    return tree


def _ident_name(tree: lark.Tree) -> str | None:
    tree = _unwrap(tree)
    if isinstance(tree, lark.Tree) and tree.data == "ident":
        return str(tree.children[0])
    return None


def _macro(name: str, target_tree: lark.Tree, arg_trees: list[lark.Tree]) -> Program:
    expected = (2, 3) if name == "map" else (2,)
    if len(arg_trees) not in expected:
        raise CelCompileError(f"{name}() takes {expected[0]} arguments")
    var = _ident_name(arg_trees[0])
    if var is None:
        raise CelCompileError(f"{name}() needs a variable name as its first argument")
    target = _compile(target_tree)
    bodies = [_compile(arg) for arg in arg_trees[1:]]
    return Comprehension(name, var, target, bodies).program()


def _member_index(tree: lark.Tree) -> Program:
    target_tree, index_tree = tree.children
    target = _compile(target_tree)
    index = _compile(index_tree)
    return lambda env: cellib.index(target(env), index(env))


def _member_object(tree: lark.Tree) -> Program:
    raise CelCompileError("message construction is not supported")


def _ident(tree: lark.Tree) -> Program:
    name = str(tree.children[0])

    def lookup(env: dict[str, Any]) -> Any:
        try:
            return env[name]
        except KeyError:
            raise CelError(f"undeclared reference to '{name}'") from None

    return lookup


def _ident_arg(tree: lark.Tree) -> Program:
    name_token, *rest = tree.children
    name = str(name_token)
    arg_trees = _args(rest[0] if rest else None)
    if name == "has":
        return _has(arg_trees)
    function = celfuncs.FUNCTIONS.get(name)
    if function is None:
        raise CelCompileError(f"undeclared reference to '{name}'")
    _check_arity(name, function, len(arg_trees))
    args = [_compile(arg) for arg in arg_trees]
    return lambda env: _guarded(name, function, *(arg(env) for arg in args))


def _check_arity(name: str, function: Callable[..., Any], count: int) -> None:
    low, high = _arity(function)
    if not low <= count <= high:
        raise CelCompileError(f"found no matching overload for '{name}' applied to {count} argument(s)")


@functools.cache
def _arity(function: Callable[..., Any]) -> tuple[int, float]:
    parameters = inspect.signature(function).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return (sum(1 for p in parameters if p.default is p.empty and p.kind is not p.VAR_POSITIONAL), math.inf)
    return (sum(1 for p in parameters if p.default is p.empty), len(parameters))


def _guarded(name: str, function: Callable[..., Any], *args: Any) -> Any:
    # Library functions get CEL values of any type; a Python error there is CEL's "no such overload".
    try:
        return function(*args)
    except CelError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError, ZeroDivisionError):
        raise CelError(f"no such overload: {name}({', '.join(cellib.type_name(a) for a in args)})") from None


def _has(arg_trees: list[lark.Tree]) -> Program:
    selection = _unwrap(arg_trees[0]) if len(arg_trees) == 1 else None
    if not isinstance(selection, lark.Tree) or selection.data != "member_dot":
        raise CelCompileError("invalid argument to has() macro")
    target_tree, name_token = selection.children
    target = _compile(target_tree)
    name = str(name_token)
    return lambda env: cellib.has_field(target(env), name)


def _paren(tree: lark.Tree) -> Program:
    return _compile(tree.children[0])


def _list_lit(tree: lark.Tree) -> Program:
    items = [_compile(child) for child in _args(tree.children[0] if tree.children else None)]
    return lambda env: [item(env) for item in items]


def _map_lit(tree: lark.Tree) -> Program:
    parts = [_compile(child) for child in _args(tree.children[0] if tree.children else None)]
    pairs = list(zip(parts[::2], parts[1::2], strict=True))

    def build(env: dict[str, Any]) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key, value in pairs:
            k = key(env)
            if k in result:
                raise CelError(f"Failed with repeated key: {k}")
            result[k] = value(env)
        return result

    return build


def _literal(tree: lark.Tree) -> Program:
    value = cellib.literal(tree.children[0])
    return lambda env: value


def _dot_ident(tree: lark.Tree) -> Program:
    return _ident(tree)


_HANDLERS: dict[str, Callable[[lark.Tree], Program]] = {
    "expr": _expr,
    "conditionalor": _logical(True),
    "conditionaland": _logical(False),
    "relation": _binary(_RELATIONS),
    "addition": _binary(_ADDITIONS),
    "multiplication": _binary(_MULTIPLICATIONS),
    "unary": _unary,
    "member": _single,
    "primary": _single,
    "member_dot": _member_dot,
    "member_dot_arg": _member_dot_arg,
    "member_index": _member_index,
    "member_object": _member_object,
    "ident": _ident,
    "dot_ident": _dot_ident,
    "ident_arg": _ident_arg,
    "paren_expr": _paren,
    "list_lit": _list_lit,
    "map_lit": _map_lit,
    "literal": _literal,
}
