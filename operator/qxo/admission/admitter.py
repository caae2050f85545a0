"""The Admitter: one CRD version's schema compiled once, then applied to objects as the API server admits them."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from qxo.admission import causes as c
from qxo.admission.causes import FieldCause
from qxo.admission.celtypes import cel_view
from qxo.admission.correlate import ABSENT, json_equal, old_field, old_items
from qxo.admission.listtype import validate_lists
from qxo.admission.metadata import validate_metadata
from qxo.admission.rules import evaluate_rules
from qxo.admission.schema import Node, compile_schema
from qxo.admission.structural import copy_json, prepare
from qxo.admission.validate import validate

# Errors after which the server skips every CEL rule (strategy.go's hasBlockingErr).
_BLOCKING = {c.NOT_SUPPORTED, c.REQUIRED, c.TOO_LONG, c.TOO_MANY, c.TYPE_INVALID}
_RULES_SKIPPED = (
    "some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation"
)


@dataclass
class AdmissionResult:
    """What admission made of an object: the defaulted, pruned copy and why it was refused, if it was."""

    object: dict[str, Any]
    causes: list[FieldCause] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.causes

    def unknown_fields(self) -> list[str]:
        """The pruned fields as fieldValidation=Strict words them ('unknown field "spec.foo"')."""
        return [f'unknown field "{path}"' for path in self.pruned]


class Admitter:
    """Admits objects of one CRD version; everything is compiled in the constructor, never per call."""

    def __init__(self, schema: dict[str, Any] | None, *, kind: str | None = None, api_version: str | None = None):
        # Problems that would make the server refuse the CRD itself (bad CEL, bad pattern); admit still works.
        self.compile_errors: list[str] = []
        self.kind = kind
        self.api_version = api_version
        raw = schema if schema is not None else {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        self._root: Node = compile_schema(raw, errors=self.compile_errors)

    @classmethod
    def for_crd(cls, crd: dict[str, Any], version: str) -> Admitter:
        """The Admitter of `version` of a CustomResourceDefinition dict; KeyError if it has no such version."""
        spec = crd.get("spec") or {}
        for entry in spec.get("versions") or ():
            if isinstance(entry, dict) and entry.get("name") == version:
                schema = (entry.get("schema") or {}).get("openAPIV3Schema")
                kind = (spec.get("names") or {}).get("kind")
                return cls(schema, kind=kind, api_version=f"{spec.get('group')}/{version}")
        raise KeyError(f"CRD {(crd.get('metadata') or {}).get('name')!r} has no version {version!r}")

    def admit(self, obj: Any, old: Any = None, *, status: bool = False) -> AdmissionResult:
        """Default, prune and validate `obj` (an update when `old` is given); never raises.

        `status`: a write to the status subresource, whose schema errors the API server words relative to
        `status` (the status schema is validated on its own) while naming the full field path.
        """
        try:
            return self._admit(obj, old, status)
        except Exception as exc:  # admission answers for the server it runs in; it must not take it down
            detail = f"admission failed: {type(exc).__name__}: {exc}"
            result = copy.deepcopy(obj) if isinstance(obj, dict) else {}
            return AdmissionResult(object=result, causes=[c.make_cause(c.INTERNAL, "", detail=detail)])

    def _admit(self, obj: Any, old: Any, status: bool = False) -> AdmissionResult:
        if not isinstance(obj, dict):
            kind = "array" if isinstance(obj, list) else type(obj).__name__
            return AdmissionResult(object={}, causes=[c.type_invalid("", kind, "the object must be a JSON object")])
        pruned: list[str] = []
        if self.api_version is not None and obj.get("apiVersion") != self.api_version:
            return AdmissionResult(object=copy_json(obj), causes=self._type_meta(obj), pruned=pruned)
        # The server prunes and defaults only objects of the CRD's own kind; another kind is validated as sent.
        own_kind = self.kind is None or obj.get("kind") == self.kind
        new = prepare(obj, self._root, "", pruned, resource_root=True) if own_kind else copy_json(obj)
        has_old = isinstance(old, dict)
        old_prepared = prepare(old, self._root, "", [], resource_root=True) if has_old else ABSENT
        causes = self._type_meta(new) + validate_metadata(new.get("metadata"))
        if has_old:
            # an update's metadata is validated three times over (for every kind, then twice by the custom
            # resource strategy): each cause comes three times, and the message lists it once
            causes = [cause for cause in causes for _ in range(3)]
        status_node = self._root.properties.get("status")
        if status and status_node is not None:
            if "status" in new:
                found: list[FieldCause] = []
                validate(new["status"], status_node, "", found, old_field(old_prepared, "status"))
                causes.extend(_under_status(cause) for cause in found)
        else:
            validate(new, self._root, "", causes, old_prepared)
        # On update, list-type invariants only bind if the old object kept them (strategy.go ratchets these).
        if not has_old or not _list_errors(old_prepared, self._root):
            validate_lists(new, self._root, "", causes)
        if any(cause.reason in _BLOCKING for cause in causes):
            if self._root.has_rules:
                causes.append(c.invalid("", None, _RULES_SKIPPED))
        elif self._root.has_rules:
            old_root = _cel_root(old_prepared) if has_old else None
            walk_rules(_cel_root(new), old_root, has_old, self._root, "", causes)
        return AdmissionResult(object=new, causes=causes, pruned=pruned)

    def _type_meta(self, obj: dict[str, Any]) -> list[FieldCause]:
        out = []
        if self.kind is not None and obj.get("kind") != self.kind:
            out.append(c.invalid("kind", obj.get("kind"), f"must be {self.kind}"))
        if self.api_version is not None and obj.get("apiVersion") != self.api_version:
            out.append(c.invalid("apiVersion", obj.get("apiVersion"), f"must be {self.api_version}"))
        return out


def _under_status(cause: FieldCause) -> FieldCause:
    field = "status" if cause.field in ("", c.NIL_PATH) else f"status.{cause.field}"
    return FieldCause(field=field, reason=cause.reason, message=cause.message)


def _list_errors(obj: Any, root: Node) -> bool:
    found: list[FieldCause] = []
    validate_lists(obj, root, "", found)
    return bool(found)


def _cel_root(obj: dict[str, Any]) -> dict[str, Any]:
    # CEL sees only name and generateName of a resource's metadata.
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return obj
    visible = {k: metadata[k] for k in ("name", "generateName") if k in metadata}
    return {**obj, "metadata": visible}


def walk_rules(value: Any, old: Any, has_old: bool, node: Node | None, path: str, out: list[FieldCause]) -> None:
    """Evaluate the rules of `node` and of every node below it that has a value, correlating old values.

    Only object fields, map values and map-list items correlate; a rule that does not use oldSelf is
    ratcheted away when its value is unchanged, as the server does since validation ratcheting.
    """
    if node is None or not node.has_rules or value is None:
        return
    if node.rules:
        unchanged = has_old and json_equal(old, value)
        typed_old = cel_view(old, node) if has_old else None
        evaluate_rules(node.rules, node.type, cel_view(value, node), typed_old, has_old, path, out, unchanged)
    if isinstance(value, dict):
        for key, item in value.items():
            child = node.properties.get(key)
            child_path = f"{path}.{key}" if path else key
            if child is None and node.additional is not None:
                child, child_path = node.additional, f"{path}[{key}]"
            if child is not None and child.has_rules:
                old_item = old_field(old, key) if has_old else ABSENT
                walk_rules(item, old_item, old_item is not ABSENT, child, child_path, out)
    elif isinstance(value, list) and node.items is not None and node.items.has_rules:
        olds = old_items(node, old if has_old else None, value, by_index=False)
        for index, item in enumerate(value):
            found = olds[index] is not ABSENT
            walk_rules(item, olds[index] if found else None, found, node.items, f"{path}[{index}]", out)
