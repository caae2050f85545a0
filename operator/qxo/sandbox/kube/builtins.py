"""What the real server does on write for the built-in kinds served here (their registry strategies)."""

from __future__ import annotations

import base64
from typing import Any

from qxo.sandbox.kube.errors import invalid
from qxo.sandbox.kube.resources import ResourceType
from qxo.sandbox.kube.storage import now

OBJECT_META = frozenset({
    "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
    "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
    "managedFields",
})


def prepare(rtype: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Normalise `obj` in place before it is stored, as the kind's strategy would."""
    if rtype.group == "" and rtype.plural == "secrets":
        _secret(rtype, obj)
    elif rtype.group == "" and rtype.plural == "namespaces":
        _namespace(obj, old)
    elif rtype.group == "apiextensions.k8s.io":
        _crd(rtype, obj)


def _secret(rtype: ResourceType, obj: dict[str, Any]) -> None:
    # stringData is write-only: the server folds it into data and never returns it
    string_data = obj.pop("stringData", None) or {}
    if string_data:
        data = dict(obj.get("data") or {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
    obj.setdefault("type", "Opaque")
    for key, value in (obj.get("data") or {}).items():
        try:
            base64.b64decode(value, validate=True)
        except (ValueError, TypeError):
            raise invalid(rtype.kind, "", obj["metadata"].get("name", ""), [
                {"reason": "FieldValueInvalid", "field": f"data[{key}]",
                 "message": "Invalid value: illegal base64 data"}]) from None


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
    if not versions:
        causes.append(("spec.versions", "Invalid value: must have exactly one version marked as storage version"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(("spec.versions", "Invalid value: must have exactly one version marked as storage version"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(("spec.scope", 'Unsupported value: supported values: "Cluster", "Namespaced"'))
    if causes:
        raise invalid(rtype.kind, rtype.group, name, [
            {"reason": "FieldValueInvalid", "field": f, "message": m} for f, m in causes])
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
