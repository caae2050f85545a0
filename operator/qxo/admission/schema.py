"""A CRD's structural schema compiled once into nodes the admission walks read without re-parsing."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from qxo.admission.regex import RegexError, compile_go_regex
from qxo.admission.rules import CompiledRule, compile_rules

_NO_DEFAULT = object()
_CEL_TYPED_FORMATS = frozenset({"date-time", "date", "duration", "byte"})


@dataclass(eq=False)
class Node:
    """One schema node; absent keywords are None so the walks test them cheaply."""

    type: str = ""
    nullable: bool = False
    required: tuple[str, ...] = ()
    enum: list[Any] | None = None
    pattern: Any = None  # a compiled RE2 pattern (qxo.admission.regex)
    pattern_text: str = ""
    format: str = ""
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    multiple_of: float | None = None
    min_items: int | None = None
    max_items: int | None = None
    min_properties: int | None = None
    max_properties: int | None = None
    properties: dict[str, Node] = field(default_factory=dict)
    additional: Node | None = None
    items: Node | None = None
    all_of: list[Node] = field(default_factory=list)
    any_of: list[Node] = field(default_factory=list)
    one_of: list[Node] = field(default_factory=list)
    not_: Node | None = None
    has_junctors: bool = False
    preserve_unknown: bool = False
    int_or_string: bool = False
    embedded: bool = False
    list_type: str = ""
    list_map_keys: tuple[str, ...] = ()
    default: Any = _NO_DEFAULT
    rules: list[CompiledRule] = field(default_factory=list)
    # True when this node or anything below it carries CEL rules, so the rule walk can skip dead subtrees.
    has_rules: bool = False
    # True when this node or anything below it has a default, so defaulting can skip dead subtrees.
    has_defaults: bool = False
    # True when this node or anything below it is a set or map list, so the duplicate walk can skip the rest.
    has_list_types: bool = False
    # True when CEL sees a value here or below differently from JSON (a double, timestamp, duration or bytes).
    cel_typed: bool = False

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    def default_copy(self) -> Any:
        return copy.deepcopy(self.default)


def compile_schema(raw: Any, path: str = "openAPIV3Schema", errors: list[str] | None = None) -> Node:
    """Compile a schema dict; problems that would make the real server refuse the CRD go to `errors`."""
    errors = errors if errors is not None else []
    if not isinstance(raw, dict):
        errors.append(f"{path}: must be an object")
        return Node(preserve_unknown=True)
    node = Node(
        type=raw.get("type") if isinstance(raw.get("type"), str) else "",
        nullable=raw.get("nullable") is True,
        required=tuple(r for r in raw.get("required") or () if isinstance(r, str)),
        enum=list(raw["enum"]) if isinstance(raw.get("enum"), list) else None,
        format=raw.get("format") if isinstance(raw.get("format"), str) else "",
        min_length=_int(raw, "minLength"),
        max_length=_int(raw, "maxLength"),
        minimum=_number(raw, "minimum"),
        maximum=_number(raw, "maximum"),
        exclusive_minimum=raw.get("exclusiveMinimum") is True,
        exclusive_maximum=raw.get("exclusiveMaximum") is True,
        multiple_of=_number(raw, "multipleOf"),
        min_items=_int(raw, "minItems"),
        max_items=_int(raw, "maxItems"),
        min_properties=_int(raw, "minProperties"),
        max_properties=_int(raw, "maxProperties"),
        preserve_unknown=raw.get("x-kubernetes-preserve-unknown-fields") is True,
        int_or_string=raw.get("x-kubernetes-int-or-string") is True,
        embedded=raw.get("x-kubernetes-embedded-resource") is True,
        list_type=raw.get("x-kubernetes-list-type") or "",
        list_map_keys=tuple(raw.get("x-kubernetes-list-map-keys") or ()),
    )
    if "default" in raw:
        node.default = copy.deepcopy(raw["default"])
    pattern = raw.get("pattern")
    if isinstance(pattern, str):
        node.pattern_text = pattern
        try:
            node.pattern = compile_go_regex(pattern)
        except RegexError as exc:
            errors.append(f"{path}.pattern: {exc}")
    for name, sub in (raw.get("properties") or {}).items():
        node.properties[name] = compile_schema(sub, f"{path}.properties[{name}]", errors)
    additional = raw.get("additionalProperties")
    if isinstance(additional, dict):
        node.additional = compile_schema(additional, f"{path}.additionalProperties", errors)
    elif additional is True:
        node.additional = Node(preserve_unknown=True)
    if isinstance(raw.get("items"), dict):
        node.items = compile_schema(raw["items"], f"{path}.items", errors)
    for keyword, target in (("allOf", node.all_of), ("anyOf", node.any_of), ("oneOf", node.one_of)):
        subs = raw.get(keyword)
        for index, sub in enumerate(subs if isinstance(subs, list) else ()):
            target.append(compile_schema(sub, f"{path}.{keyword}[{index}]", errors))
    if isinstance(raw.get("not"), dict):
        node.not_ = compile_schema(raw["not"], f"{path}.not", errors)
    node.has_junctors = bool(node.all_of or node.any_of or node.one_of or node.not_ is not None)
    node.rules = compile_rules(raw.get("x-kubernetes-validations"), f"{path}.x-kubernetes-validations", errors)
    children = [*node.properties.values(), *(c for c in (node.additional, node.items) if c is not None)]
    node.has_rules = bool(node.rules) or any(child.has_rules for child in children)
    node.has_defaults = any(child.has_default or child.has_defaults for child in children)
    node.has_list_types = node.list_type in ("set", "map") or any(child.has_list_types for child in children)
    typed_string = node.type == "string" and node.format in _CEL_TYPED_FORMATS
    node.cel_typed = node.type == "number" or typed_string or any(child.cel_typed for child in children)
    return node


def _int(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _number(raw: dict[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value
