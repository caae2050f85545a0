"""An object's spec, parsed and checked before anything else: what the spec alone can tell is refused first.

Admission (the CRD's schema and CEL) normally refuses a malformed spec before the operator sees it;
the models hold what admission cannot (a wildcard over a public suffix), and qxo's per-object rules
(`qxo validate`'s, `qxo.api.semantic.object_problems`) what no schema can (one user listed twice in
another case). All of them are checked before a converge waits for a dependency, so a bad spec is
named at once, whatever its brand or parent is doing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic

from qxo import API_GROUP, API_VERSION
from qxo.api import KINDS as API_KINDS
from qxo.api.documents import Document
from qxo.api.semantic import object_problems
from qxo.api.validation import validate_object
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.outcome import Refused
from qxo.reconcile.protocol import Kind, Object


def parsed(entry: Kind, key: ObjectKey, body: Mapping[str, Any]) -> Object:
    """The object with its typed spec; Refused `InvalidSpec` naming the field when the models refuse it."""
    try:
        spec = entry.spec_model.model_validate(body.get("spec") or {})
    except pydantic.ValidationError as invalid:
        raise Refused("InvalidSpec", spec_problem(entry, body, invalid)) from None
    return Object(key, body, spec)


def checked(entry: Kind, key: ObjectKey, body: Mapping[str, Any]) -> Object:
    """`parsed`, then the per-object rules of `qxo validate`: Refused `InvalidSpec` naming the first field broken."""
    obj = parsed(entry, key, body)
    meta = body.get("metadata") or {}
    resource = entry.model.of_checked_spec(meta.get("name") or "", meta.get("namespace"), obj.spec,
                                           meta.get("annotations"))
    problems = object_problems(Document("", 0, dict(body)), resource)
    if problems:
        raise Refused("InvalidSpec", f"{problems[0].field}: {problems[0].message}")
    return obj


def spec_problem(entry: Kind, body: Mapping[str, Any], invalid: pydantic.ValidationError) -> str:
    """An invalid spec's first problem, worded as admission and `qxo validate` word it."""
    if entry.name in API_KINDS:
        document = {**body, "apiVersion": f"{API_GROUP}/{API_VERSION}", "kind": entry.name}
        problems = [p for p in validate_object(document)[0] if p.severity == "error"]
        # A field's CEL rule says in words what its failed pattern means: prefer it to the regex.
        problems.sort(key=lambda p: " should match '" in p.message)
        if problems:
            return f"{problems[0].field}: {problems[0].message}"
    first = invalid.errors()[0]
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first.get("loc", ()))
    return f"spec{where}: {str(first.get('msg')).removeprefix('Value error, ')}"
