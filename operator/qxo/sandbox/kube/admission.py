"""The seam to `qxo.admission`: custom resources are defaulted, pruned and validated by their CRD.

One compiled admitter per CRD version, kept until the CRD changes (its resourceVersion is in the key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qxo.admission import Admitter, to_status
from qxo.sandbox.kube.errors import ApiError, bad_request
from qxo.sandbox.kube.resources import ResourceType


class CustomResourceAdmission:
    def __init__(self) -> None:
        self._admitters: dict[tuple[str, str, str], Admitter] = {}

    def forget(self, crd_name: str, keep_version: str | None = None) -> None:
        """Drop the admitters of a CRD, except those compiled from its resourceVersion `keep_version`."""
        for key in [k for k in self._admitters if k[0] == crd_name and k[1] != keep_version]:
            del self._admitters[key]

    def _admitter(self, crd: dict[str, Any], version: str) -> Admitter:
        key = (crd["metadata"]["name"], crd["metadata"]["resourceVersion"], version)
        admitter = self._admitters.get(key)
        if admitter is None:
            self.forget(key[0], keep_version=key[1])  # older compilations of this CRD are stale
            admitter = self._admitters[key] = Admitter.for_crd(crd, version)
        return admitter

    def admit(
        self, rtype: ResourceType, crd: dict[str, Any], obj: dict[str, Any], old: dict[str, Any] | None,
        status: bool = False,
    ) -> tuple[dict[str, Any], list[str], ApiError | None]:
        """The defaulted and pruned object, the unknown fields pruned, and the 422 to raise if invalid.

        The refusal is returned, not raised, so the caller can let a strict unknown-field error win,
        as decoding comes before validation in the real server.
        """
        result = self._admitter(crd, rtype.version).admit(obj, old=old, status=status)
        unknown = [p.lstrip(".") for p in result.pruned]
        if result.causes:
            name = (obj.get("metadata") or {}).get("name", "")
            kind = obj.get("kind") if isinstance(obj.get("kind"), str) and obj.get("kind") else rtype.kind
            body = to_status(group=rtype.group, kind=kind, name=name, causes=result.causes)
            return obj, unknown, ApiError(422, body.get("message", ""), body=body)
        return result.object, unknown, None


def check_unknown(unknown: list[str], directive: str,
                  refusal: Callable[[str], ApiError] = bad_request) -> list[str]:
    """Apply fieldValidation: Strict refuses (`refusal` words it as the decoder of that kind does), Warn
    returns warnings, Ignore drops silently."""
    if not unknown or directive == "Ignore":
        return []
    messages = [f'unknown field "{path}"' for path in unknown]
    if directive == "Strict":
        raise refusal("strict decoding error: " + ", ".join(messages))
    return messages
