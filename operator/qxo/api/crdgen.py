"""Generate the qxo CRDs from the pydantic models: `python -m qxo.api.crdgen DIR` writes crds/.

Pydantic's JSON Schema is turned into a Kubernetes structural schema: every `$ref` inlined,
`Optional[X]` written as X left out of `required` (no anyOf), no titles, a `type` on every
node, and a description required on every property so `kubectl explain` teaches the API.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import yaml

from qxo.api import KINDS as API_KINDS
from qxo.api.common import GROUP, VERSION, Resource

KINDS: tuple[type[Resource], ...] = tuple(API_KINDS.values())
BY_KIND: dict[str, type[Resource]] = {kind.KIND: kind for kind in KINDS}
CATEGORY = "qualtrics"
ANNOTATIONS = (
    " Annotations: qxo.dev/paused: \"true\" leaves the object alone; qxo.dev/external-id: <id> adopts that"
    " existing remote object."
)

_DROPPED = {"title", "$defs", "additionalProperties"}
# Key order in the generated files, so a reviewer reads a field's meaning before its constraints.
_ORDER = ("description", "type", "format", "enum", "default", "pattern", "minLength", "maxLength", "minimum",
          "maximum", "minItems", "maxItems", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "items",
          "properties", "required", "x-kubernetes-validations")


class SchemaError(ValueError):
    """The models cannot be expressed as a structural schema (a modelling mistake, caught by tests)."""


def structural_schema(model: type[Any]) -> dict[str, Any]:
    """The structural OpenAPI v3 schema of one pydantic model."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return _structural(raw, raw.get("$defs", {}), model.__name__)


def _structural(node: dict[str, Any], defs: dict[str, Any], where: str) -> dict[str, Any]:
    node = _resolve(node, defs, where)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED or (key == "default" and value is None):
            continue
        if key == "properties":
            out[key] = {name: _property(schema, defs, f"{where}.{name}") for name, schema in value.items()}
        elif key == "items":
            out[key] = _structural(value, defs, f"{where}[]")
        elif key == "x-kubernetes-validations":
            out[key] = [{k: rule[k] for k in ("rule", "message", "messageExpression", "fieldPath") if k in rule}
                        for rule in value]
        else:
            out[key] = copy.deepcopy(value)
    if "type" not in out:
        raise SchemaError(f"{where}: no type")
    if out["type"] == "object" and "properties" not in out:
        raise SchemaError(f"{where}: free-form objects are not structural")
    if out.get("required") == []:
        del out["required"]
    unknown = set(out) - set(_ORDER)
    if unknown:
        raise SchemaError(f"{where}: unexpected schema keywords {sorted(unknown)}")
    return {key: out[key] for key in _ORDER if key in out}


def _property(schema: dict[str, Any], defs: dict[str, Any], where: str) -> dict[str, Any]:
    out = _structural(schema, defs, where)
    if not out.get("description"):
        raise SchemaError(f"{where}: no description")
    return out


def _resolve(node: dict[str, Any], defs: dict[str, Any], where: str) -> dict[str, Any]:
    """Inline `$ref`, single `allOf` and `anyOf: [X, null]`; the referring node's keys win."""
    node = dict(node)
    if "anyOf" in node:
        choices = [choice for choice in node.pop("anyOf") if choice.get("type") != "null"]
        if len(choices) != 1:
            raise SchemaError(f"{where}: unions are not structural")
        node = {**_resolve(choices[0], defs, where), **node}
    if "allOf" in node:
        parts = node.pop("allOf")
        if len(parts) != 1:
            raise SchemaError(f"{where}: allOf of several schemas is not structural")
        node = {**_resolve(parts[0], defs, where), **node}
    if "$ref" in node:
        target = defs[node.pop("$ref").rsplit("/", 1)[-1]]
        node = {**_resolve(target, defs, where), **node}
    return node


def _condition_column(condition: str) -> dict[str, Any]:
    return {
        "name": condition.upper(),
        "type": "string",
        "description": f"Status of the {condition} condition",
        "jsonPath": f'.status.conditions[?(@.type=="{condition}")].status',
    }


def build_crd(kind: type[Resource]) -> dict[str, Any]:
    """The apiextensions.k8s.io/v1 CustomResourceDefinition of one qxo kind."""
    spec_model = kind.model_fields["spec"].annotation
    status_model = kind.model_fields["status"].annotation
    spec = structural_schema(spec_model)
    status = structural_schema(status_model)
    columns = [_condition_column("Ready"), _condition_column("Synced")]
    columns += [
        {"name": column.name.upper(), "type": column.type, "description": column.description,
         "jsonPath": column.json_path}
        for column in kind.KEY_COLUMN
    ]
    columns.append({"name": "AGE", "type": "date", "jsonPath": ".metadata.creationTimestamp"})
    root = {
        "description": " ".join((kind.__doc__ or "").split()) + ANNOTATIONS,
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string", "description": "APIVersion of this object: qxo.dev/v1alpha1."},
            "kind": {"type": "string", "description": f"Kind of this object: {kind.KIND}."},
            # The API server forbids anything but `type` on the root metadata (even a description).
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
    }
    singular = kind.KIND.lower()
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": kind.KIND,
                "listKind": f"{kind.KIND}List",
                "plural": kind.PLURAL,
                "singular": singular,
                "shortNames": list(kind.SHORT_NAMES),
                "categories": [CATEGORY],
            },
            "scope": kind.SCOPE,
            "versions": [{
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": columns,
                "schema": {"openAPIV3Schema": root},
            }],
        },
    }


def crd_filename(kind: type[Resource]) -> str:
    return f"{GROUP}_{kind.PLURAL}.yaml"


def render(kind: type[Resource]) -> str:
    """The CRD as the YAML file committed under crds/."""
    header = "# Generated by `python -m qxo.api.crdgen crds` from qxo.api; edit the models, not this file.\n"
    return header + yaml.safe_dump(build_crd(kind), sort_keys=False, width=100, allow_unicode=False)


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in KINDS:
        path = directory / crd_filename(kind)
        path.write_text(render(kind))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qxo.api.crdgen", description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="where to write qxo.dev_<plural>.yaml")
    args = parser.parse_args(argv)
    for path in write_all(args.directory):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
