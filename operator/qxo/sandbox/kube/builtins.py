"""What the real server does on write for the built-in kinds served here (their registry strategies)."""

from __future__ import annotations

import base64
import re
from typing import Any

from qxo.admission import Admitter
from qxo.admission.metadata import regex_error, validate_metadata
from qxo.sandbox.kube.errors import invalid
from qxo.sandbox.kube.resources import ResourceType
from qxo.sandbox.kube.storage import now

_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_KEY = re.compile(f"^{_CONFIG_KEY_FMT}$")

OBJECT_META = frozenset({
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
    "managedFields",
})


def prepare(rtype: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Normalise `obj` in place before it is stored, as the kind's strategy would, and validate it."""
    if rtype.group == "" and rtype.plural == "secrets":
        _secret(obj)
    elif rtype.group == "" and rtype.plural == "namespaces":
        _namespace(obj, old)
    elif rtype.group == "apiextensions.k8s.io":
        _crd(rtype, obj)
    if not rtype.crd_name:
        # an update's metadata is validated four times over (ValidateObjectMetaAccessor and its Update form, once
        # for every kind and once in the strategy): each cause comes four times
        causes = [c for c in _metadata_causes(obj) for _ in range(4 if old is not None else 1)]
        causes += _key_causes(rtype, obj)
        if causes:
            raise invalid(rtype.kind, rtype.group, obj["metadata"].get("name", ""), causes)


def _metadata_causes(obj: dict[str, Any]) -> list[dict[str, str]]:
    """Labels and annotations, as ValidateObjectMeta checks them for every kind (names are the store's)."""
    meta = {k: v for k, v in obj["metadata"].items() if k in ("labels", "annotations")}
    return [cause.as_status_cause() for cause in validate_metadata({"name": "x", **meta})]


def _key_causes(rtype: ResourceType, obj: dict[str, Any]) -> list[dict[str, str]]:
    """The keys of a Secret's or ConfigMap's data must be config keys."""
    if rtype.group != "" or rtype.plural not in ("secrets", "configmaps"):
        return []
    causes = []
    for field in ("data", "binaryData"):
        for key in obj.get(field) or {}:
            if len(key) > 253 or not _CONFIG_KEY.match(key):
                message = regex_error("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                      _CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name")
                causes.append({"reason": "FieldValueInvalid", "field": f"{field}[{key}]",
                               "message": f'Invalid value: "{key}": {message}'})
    return causes


def _secret(obj: dict[str, Any]) -> None:
    # stringData is write-only: the server folds it into data and never returns it
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = dict(obj.get("data") or {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
    obj.setdefault("type", "Opaque")


def _namespace(obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    name = obj["metadata"].get("name", "")
    obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    phase = ((old or {}).get("status") or {}).get("phase", "Active")
    obj["status"] = {"phase": phase}


def _crd(rtype: ResourceType, crd: dict[str, Any]) -> None:
    name = crd["metadata"].get("name", "")
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    causes = []
    if not spec.get("group"):
        causes.append(("spec.group", "Required value"))
    if not names.get("plural"):
        causes.append(("spec.names.plural", "Required value"))
    if not names.get("kind"):
        causes.append(("spec.names.kind", "Required value"))
    if names.get("plural") and spec.get("group") and name != f"{names['plural']}.{spec['group']}":
        causes.append(("metadata.name", f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group'))
    versions = spec.get("versions") or []
    if sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(("spec.versions", "Invalid value: must have exactly one version marked as storage version"))
        # the storage version is also what status.storedVersions is checked against
        causes.append(("status.storedVersions", "Invalid value: must have at least one stored version"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(("spec.scope", f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", '
                                     '"Namespaced"'))
    if causes:
        raise invalid(rtype.kind, rtype.group, name, [
            {"reason": "FieldValueNotSupported" if m.startswith("Unsupported") else "FieldValueInvalid",
             "field": f, "message": m} for f, m in causes])
    names = {**names, "singular": names.get("singular") or names["kind"].lower(),
             "listKind": names.get("listKind") or f"{names['kind']}List"}
    spec["names"] = names
    crd["status"] = {
        "acceptedNames": names,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
             "message": "no conflicts found", "lastTransitionTime": now()},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted",
             "lastTransitionTime": now()},
        ],
        "storedVersions": [v["name"] for v in versions if v.get("storage")],
    }


def check_crd_schemas(crd: dict[str, Any]) -> None:
    """Refuse a CRD whose CEL rules or patterns do not compile, naming the rule, as the real server does.
    (Its CEL cost estimate is not reproduced: see docs/kube-sandbox.md.)"""
    spec = crd.get("spec") or {}
    versions = [v for v in spec.get("versions") or [] if isinstance(v, dict)]
    schemas = [(v.get("schema") or {}).get("openAPIV3Schema") for v in versions]
    # a CRD whose versions share one schema is validated as spec.validation, as its internal form holds it
    shared = len({repr(s) for s in schemas}) == 1
    causes = []
    for index, schema in enumerate(schemas):
        if schema is None or (shared and index > 0):
            continue
        prefix = "spec.validation." if shared else f"spec.versions[{index}].schema."
        for error in Admitter(schema).compile_errors:
            field, _, detail = error.partition(": ")
            causes.append({"reason": "FieldValueInvalid", "field": prefix + field,
                           "message": f"Invalid value: {detail}"})
    if causes:
        raise invalid("CustomResourceDefinition", "apiextensions.k8s.io", (crd.get("metadata") or {}).get("name", ""),
                      causes)


def unknown_fields(rtype: ResourceType, obj: dict[str, Any]) -> list[str]:
    """Unknown top-level and metadata fields; custom resources get the rest from their schema."""
    found = [f"metadata.{key}" for key in (obj.get("metadata") or {}) if key not in OBJECT_META]
    if rtype.known_fields:
        found += [key for key in obj if key not in rtype.known_fields]
    elif rtype.crd_name:
        found += [key for key in obj if key not in ("apiVersion", "kind", "metadata", "spec", "status")
                  and not _schema_declares(rtype, key)]
    return found


def _schema_declares(rtype: ResourceType, key: str) -> bool:
    schema = rtype.schema or {}
    return key in (schema.get("properties") or {}) or bool(schema.get("x-kubernetes-preserve-unknown-fields"))
