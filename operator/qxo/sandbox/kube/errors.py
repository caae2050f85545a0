"""Kubernetes-shaped failures: every refusal leaves the server as a `Status` object, worded and shaped as
apimachinery's apierrors builds it (https://kubernetes.io/docs/reference/using-api/api-concepts/#api-errors)."""

from __future__ import annotations

from typing import Any

from qxo.admission.causes import FieldCause, aggregate_message, go_quote

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
    504: "Timeout",
}


class ApiError(Exception):
    """A request the API server refuses; `status()` is the body the real server would send.

    `reason=""` leaves the reason out, as the real server does for errors it did not classify (500s).
    """

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        plain: bool = False,
        warnings: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.plain = plain  # answered as text/plain, not as a Status
        self.warnings = warnings or []  # Warning headers sent with the refusal
        self.code = code
        self.message = message
        self.reason = REASONS.get(code, "Unknown") if reason is None else reason
        self.details = details
        self.body = body

    def status(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:
            status["reason"] = self.reason
        if self.details is not None:
            # StatusDetails' fields are all omitempty
            status["details"] = {k: v for k, v in self.details.items() if v not in ("", None, [])}
        status["code"] = self.code
        return status


def qualified(plural: str, group: str) -> str:
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        404,
        f'{qualified(plural, group)} "{name}" not found',
        details={"name": name, "group": group, "kind": plural},
    )


def already_exists(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        f'{qualified(plural, group)} "{name}" already exists',
        reason="AlreadyExists",
        details={"name": name, "group": group, "kind": plural},
    )


def conflict(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {qualified(plural, group)} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        details={"name": name, "group": group, "kind": plural},
    )


def precondition_failed(kind: str, group: str, name: str, what: str, sent: str, stored: str) -> ApiError:
    """A delete whose preconditions (resourceVersion or uid) do not hold, worded as the storage layer words it."""
    ending = "might have been modified" if what == "ResourceVersion" else "might have been deleted and then recreated"
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {qualified(kind, group)} "{name}": the {what} in the precondition '
        f"({sent}) does not match the {what} in record ({stored}). The object {ending}",
        details={"name": name, "group": group, "kind": kind},
    )


def invalid(kind: str, group: str, name: str, causes: list[dict[str, str]]) -> ApiError:
    """422 Invalid as apierrors.NewInvalid builds it: identical causes are kept, the message lists each once."""
    fields = [FieldCause(c.get("field", ""), c.get("reason", ""), c.get("message", "")) for c in causes]
    prefix = f"{kind}.{group}" if group else kind
    message = f"{prefix} {go_quote(name)} is invalid"
    if fields:
        message = f"{message}: {aggregate_message(fields)}"
    return ApiError(422, message, details={"name": name, "group": group, "kind": kind, "causes": causes})


def options_invalid(kind: str, field: str, reason: str, text: str) -> ApiError:
    """A query parameter the API server refuses: CreateOptions, UpdateOptions, PatchOptions, DeleteOptions."""
    cause = {"reason": reason, "message": text, "field": field}
    return ApiError(422, f'{kind}.meta.k8s.io "" is invalid: {field}: {text}',
                    details={"group": "meta.k8s.io", "kind": kind, "causes": [cause]})


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def page_not_found() -> ApiError:
    """The plain-text 404 the real server's mux answers for a group, version or resource it does not serve."""
    return ApiError(404, "404 page not found\n", plain=True)
