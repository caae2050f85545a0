"""x-kubernetes-validations: rules compiled once, then evaluated at a node with apiextensions' error wording."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qxo.admission import causes as c
from qxo.admission.causes import FieldCause
from qxo.admission.cel import CelCompileError, compile_expression, references
from qxo.admission.cellib import CelError, CelOptional

_REASONS = {
    "FieldValueInvalid": c.INVALID,
    "FieldValueForbidden": c.FORBIDDEN,
    "FieldValueRequired": c.REQUIRED,
    "FieldValueDuplicate": c.DUPLICATE,
}
_FIELD_PATH_PART = re.compile(
    r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*\"((?:[^\"\\]|\\.)*)\"\s*\]"
)


@dataclass(frozen=True)
class CompiledRule:
    """One rule with its program, or the reason it could not be compiled."""

    rule: str
    program: Callable[[dict[str, Any]], Any] | None
    message: str = ""
    message_program: Callable[[dict[str, Any]], Any] | None = None
    reason: str = c.INVALID
    field_path: tuple[tuple[str, str], ...] = ()
    uses_old_self: bool = False
    optional_old_self: bool = False
    compile_error: str = ""


def parse_field_path(text: str) -> tuple[tuple[str, str], ...] | None:
    """Split a rule's fieldPath ('.spec.hosts' or ".labels['app']") into field and key steps."""
    steps: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _FIELD_PATH_PART.match(text, position)
        if match is None:
            return None
        name, single, double = match.groups()
        steps.append(("field", name) if name is not None else ("key", single if single is not None else double))
        position = match.end()
    return tuple(steps) if steps else None


def compile_rules(raw: Any, path: str, errors: list[str]) -> list[CompiledRule]:
    if not isinstance(raw, list):
        return []
    return [_compile_rule(entry, f"{path}[{index}]", errors) for index, entry in enumerate(raw)]


def _compile_rule(entry: Any, path: str, errors: list[str]) -> CompiledRule:
    entry = entry if isinstance(entry, dict) else {}
    text = entry.get("rule") if isinstance(entry.get("rule"), str) else ""
    problems: list[str] = []
    program = message_program = None
    try:
        program = compile_expression(text)
    except CelCompileError as exc:
        problems.append(f"{path}.rule: compilation failed: {exc}")
    if isinstance(entry.get("messageExpression"), str) and entry["messageExpression"]:
        try:
            message_program = compile_expression(entry["messageExpression"])
        except CelCompileError as exc:
            problems.append(f"{path}.messageExpression: compilation failed: {exc}")
    field_path: tuple[tuple[str, str], ...] = ()
    if isinstance(entry.get("fieldPath"), str) and entry["fieldPath"]:
        field_path = parse_field_path(entry["fieldPath"]) or ()
        if not field_path:
            problems.append(f"{path}.fieldPath: Invalid value: {c.go_quote(entry['fieldPath'])}: must be a valid path")
    reason = entry.get("reason") or "FieldValueInvalid"
    if reason not in _REASONS:
        problems.append(f"{path}.reason: Unsupported value: {c.go_quote(str(reason))}")
    errors.extend(problems)
    uses_old_self = references(text, "oldSelf") or (
        isinstance(entry.get("messageExpression"), str) and references(entry["messageExpression"], "oldSelf")
    )
    return CompiledRule(
        rule=text.strip(),
        program=program,
        message=(entry.get("message") or "").strip() if isinstance(entry.get("message"), str) else "",
        message_program=message_program,
        reason=_REASONS.get(reason, c.INVALID),
        field_path=field_path,
        uses_old_self=uses_old_self,
        optional_old_self=entry.get("optionalOldSelf") is True,
        compile_error="; ".join(problems),
    )


def join_path(path: str, steps: tuple[tuple[str, str], ...]) -> str:
    for kind, name in steps:
        path = (f"{path}.{name}" if path else name) if kind == "field" else f"{path}[{name}]"
    return path


def evaluate_rules(
    rules: list[CompiledRule],
    schema_type: str,
    value: Any,
    old: Any,
    has_old: bool,
    path: str,
    out: list[FieldCause],
    unchanged: bool = False,
) -> None:
    """Run every applicable rule against `value`; failures and errors become causes at `path`."""
    for rule in rules:
        if rule.uses_old_self and not has_old and not rule.optional_old_self:
            continue  # a transition rule has nothing to compare against on create
        if unchanged and not rule.uses_old_self:
            continue  # ratcheting: an unchanged value keeps passing the rules it passed before
        if rule.program is None:
            out.append(c.invalid(path, schema_type, f"rule compile error: {rule.compile_error}"))
            continue
        env: dict[str, Any] = {"self": value}
        if rule.uses_old_self:
            env["oldSelf"] = CelOptional(has_old, old) if rule.optional_old_self else old
        try:
            result = rule.program(env)
        except CelError as exc:
            out.append(c.invalid(path, schema_type, f"{exc} evaluating rule: {rule.message or rule.rule}"))
            continue
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc} evaluating rule: {rule.message or rule.rule}"
            out.append(c.invalid(path, schema_type, detail))
            continue
        if result is True:
            continue
        out.append(_failure(rule, schema_type, path, env))


def _failure(rule: CompiledRule, schema_type: str, path: str, env: dict[str, Any]) -> FieldCause:
    message = rule.message or f"failed rule: {rule.rule}"
    if rule.message_program is not None:
        try:
            dynamic = rule.message_program(env)
        except Exception:
            dynamic = None
        # an empty, blank or multi-line messageExpression result falls back to the static message
        if isinstance(dynamic, str) and dynamic.strip() and "\n" not in dynamic and "\r" not in dynamic:
            message = dynamic
    field = join_path(path, rule.field_path)
    if rule.reason == c.DUPLICATE:
        return c.duplicate(field, schema_type)
    if rule.reason == c.REQUIRED:
        return c.required(field, message)
    if rule.reason == c.FORBIDDEN:
        return c.forbidden(field, message)
    return c.invalid(field, schema_type, message)
