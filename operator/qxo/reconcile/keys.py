"""Names of the objects qxo relates: a kind, a namespace and a name, and how to read them off a body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

# The built-in kinds qxo objects reference; qxo's own kinds are named by their models (qxo.api).
SECRET = "Secret"
CONFIGMAP = "ConfigMap"

PAUSED_ANNOTATION = "qxo.dev/paused"
EXTERNAL_ID_ANNOTATION = "qxo.dev/external-id"
# On a QualtricsBrand: any new value asks for a fresh observation now (like ArgoCD's refresh).
REFRESH_ANNOTATION = "qxo.dev/refresh"


class ObjectKey(NamedTuple):
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, kind: str, body: Mapping[str, Any]) -> ObjectKey:
        meta = body.get("metadata") or {}
        return cls(kind, meta.get("namespace") or "", meta.get("name") or "")

    def sibling(self, kind: str, name: str) -> ObjectKey:
        """Another object in the same namespace."""
        return ObjectKey(kind, self.namespace, name)

    def __str__(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"


def annotations(body: Mapping[str, Any]) -> Mapping[str, str]:
    return (body.get("metadata") or {}).get("annotations") or {}


def is_paused(body: Mapping[str, Any]) -> bool:
    return annotations(body).get(PAUSED_ANNOTATION, "").strip().lower() == "true"


def external_id(body: Mapping[str, Any]) -> str | None:
    value = annotations(body).get(EXTERNAL_ID_ANNOTATION, "").strip()
    return value or None


def refresh_requested(body: Mapping[str, Any]) -> str | None:
    return annotations(body).get(REFRESH_ANNOTATION) or None


def generation(body: Mapping[str, Any]) -> int:
    return int((body.get("metadata") or {}).get("generation") or 0)
