"""Structural checks of rendered objects against the Kubernetes API's own types.

The official `kubernetes` client is generated from the API server's OpenAPI document: each model
lists its fields and their types. Walking a rendered object through those models finds a
misspelt or misplaced field (which the API server would drop or refuse) and a wrong type, and
deserializing it finds a missing required field, all without a cluster.
"""

from __future__ import annotations

import re
from typing import Any

import kubernetes.client as k8s
from kubernetes.client import ApiClient

MODELS = {
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("v1", "Service"): "V1Service",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Namespace"): "V1Namespace",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "V1ClusterRole",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "V1ClusterRoleBinding",
    ("rbac.authorization.k8s.io/v1", "Role"): "V1Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "V1RoleBinding",
    ("networking.k8s.io/v1", "NetworkPolicy"): "V1NetworkPolicy",
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): "V1CustomResourceDefinition",
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"): "V1ValidatingAdmissionPolicy",
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"): "V1ValidatingAdmissionPolicyBinding",
}
_LIST = re.compile(r"^List\[(.+)\]$")
_DICT = re.compile(r"^Dict\[str, (.+)\]$")
_SCALARS = {"str": (str,), "int": (int,), "bool": (bool,), "float": (int, float), "bytes": (str,), "datetime": (str,)}


def problems(obj: dict[str, Any]) -> list[str]:
    """What is wrong with one rendered object for the API server's types ([] when nothing)."""
    model = MODELS.get((obj.get("apiVersion"), obj.get("kind")))
    if model is None:
        return [f"no Kubernetes type known for {obj.get('apiVersion')} {obj.get('kind')}"]
    found = _walk(obj, model, obj.get("kind", "?"))
    if not found:
        try:
            ApiClient()._ApiClient__deserialize(obj, model)  # the models refuse a missing required field
        except ValueError as error:
            found.append(f"{obj['kind']}: {error}")
    return found


def _walk(value: Any, type_name: str, where: str) -> list[str]:
    if type_name == "object":
        return []
    if type_name in _SCALARS:
        ok = isinstance(value, _SCALARS[type_name]) and not (type_name != "bool" and isinstance(value, bool))
        return [] if ok else [f"{where}: {value!r} is not {type_name}"]
    if match := _LIST.match(type_name):
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        return [p for i, item in enumerate(value) for p in _walk(item, match[1], f"{where}[{i}]")]
    if match := _DICT.match(type_name):
        if not isinstance(value, dict):
            return [f"{where}: not a map"]
        return [p for key, item in value.items() for p in _walk(item, match[1], f"{where}[{key}]")]
    model = getattr(k8s, type_name)
    if not isinstance(value, dict):
        return [f"{where}: not an object ({type_name})"]
    json_to_python = {json_name: python for python, json_name in model.attribute_map.items()}
    found = []
    for key, item in value.items():
        if key not in json_to_python:
            found.append(f"{where}.{key}: no such field in {type_name}")
        elif item is not None:
            found += _walk(item, model.openapi_types[json_to_python[key]], f"{where}.{key}")
    return found
