"""Pieces every qxo kind shares: base models, refs, policies, conditions, the status base and patterns.

The models here are the API: `qxo.api.crdgen` turns them into the CRDs, so every field's
docstring is what `kubectl explain` shows and every constraint is enforced at admission.
Cross-field rules are CEL (`x-kubernetes-validations`) attached with `json_schema_extra`;
the API server (or `qxo.admission` offline) evaluates them, the Python models do not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model
from pydantic.alias_generators import to_camel

GROUP = "qxo.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
PAUSED_ANNOTATION = "qxo.dev/paused"
EXTERNAL_ID_ANNOTATION = "qxo.dev/external-id"
# Secrets opt in: qxo reads a Secret only when it carries this label with the value "true".
CREDENTIALS_LABEL = "qxo.dev/credentials"
FINALIZER = "qxo.dev/finalizer"

# Patterns are written for RE2 (the API server), Python `re` and Rust regex (pydantic) alike:
# no lookarounds, no backreferences.
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
SECRET_KEY = r"^[-._a-zA-Z0-9]+$"
# A Qualtrics username: often an email, sometimes suffixed `#brandid` for SSO brands.
USERNAME = r"^[A-Za-z0-9._%+'-]+(@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*)?(#[A-Za-z0-9_-]+)?$"
# Printable text without control characters and without leading or trailing whitespace.
DISPLAY_TEXT = r"^[^\s\x00-\x1f\x7f]([^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"
# Go-style durations limited to hours, minutes and seconds, e.g. 30s, 10m, 1h30m.
DURATION = r"^([0-9]{1,4}h([0-9]{1,4}m)?([0-9]{1,5}s)?|[0-9]{1,4}m([0-9]{1,5}s)?|[0-9]{1,5}s)$"
# A TCP port: 1 to 65535, no leading zero.
PORT = r"([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
# A port number the pattern refuses (0, leading zeros, above 65535), for a CEL rule that says so in words.
BAD_PORT = r"(0[0-9]*|[0-9]{6,}|6553[6-9]|655[4-9][0-9]|65[6-9][0-9]{2}|6[6-9][0-9]{3}|[7-9][0-9]{4})"
_HOST = r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|\[[0-9a-f:]+\])"
# The clients build every request from scheme, host and port (`/API/v3/...`, `/services/oauth2/token`),
# so a URL is exactly that: no path (a trailing slash is allowed), query, fragment or userinfo.
# The brand's: https anywhere, plain http only to a loopback host, so sandboxes run without TLS.
SERVICE_URL = rf"^(https://{_HOST}|http://(127\.0\.0\.1|localhost|\[::1\]))(:{PORT})?/?$"
# Salesforce's: https only (its client cannot speak anything else).
LOGIN_URL = rf"^https://{_HOST}(:{PORT})?/?$"


def _url_words(https_only: bool, adds: str) -> list[dict[str, str]]:
    """CEL rules saying in words which part of a URL the pattern refused."""
    scheme = (
        {"rule": "self.startsWith('https://')", "message": "must use https://"} if https_only else
        {"rule": "self.startsWith('https://') || self.matches('^http://(127[.]0[.]0[.]1|localhost|.::1.)([:/]|$)')",
         "message": "must use https:// (http:// only for loopback hosts: 127.0.0.1, localhost, [::1])"})
    return [
        scheme,
        {"rule": "!self.matches('[?#@ ]')", "message": "must not contain a query, fragment, userinfo or spaces"},
        {"rule": f"!self.matches('^[a-z]+://[^/]*:{BAD_PORT}(/.*)?$')", "message": "port must be from 1 to 65535"},
        {"rule": "!isURL(self) || url(self).getEscapedPath() in ['', '/']",
         "message": f"must be only scheme://host[:port], without a path: the client adds {adds} itself"},
    ]


DnsName = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)]
SecretKey = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=SECRET_KEY)]
Username = Annotated[str, StringConstraints(min_length=1, max_length=254, pattern=USERNAME)]
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=DISPLAY_TEXT)]
# The pattern is the authority; the CEL rules only say in words what a failed pattern means.
ServiceURL = Annotated[
    str,
    StringConstraints(max_length=2048, pattern=SERVICE_URL),
    Field(json_schema_extra={"x-kubernetes-validations": _url_words(False, "/API/v3")}),
]
LoginURL = Annotated[
    str,
    StringConstraints(max_length=2048, pattern=LOGIN_URL),
    Field(json_schema_extra={"x-kubernetes-validations": _url_words(True, "/services/oauth2/token")}),
]


def duration(minimum: str) -> Any:
    """A duration field type refused below `minimum` (CEL; the pattern alone cannot compare)."""
    return Annotated[
        str,
        StringConstraints(min_length=2, max_length=16, pattern=DURATION),
        # Guarded by the pattern, so a malformed value gets the pattern's error, not a CEL evaluation error.
        Field(json_schema_extra={"x-kubernetes-validations": [{
            "rule": f"!self.matches('{DURATION}') || duration(self) >= duration('{minimum}')",
            "message": f"must be at least {minimum}",
        }]}),
    ]


def parse_duration(text: str) -> float:
    """Seconds in a duration that matched DURATION (e.g. `1h30m` -> 5400.0)."""
    seconds, number = 0.0, ""
    for char in text:
        if char.isdigit():
            number += char
            continue
        seconds += int(number) * {"h": 3600, "m": 60, "s": 1}[char]
        number = ""
    return seconds


def cel(*rules: tuple[str, str] | tuple[str, str, str]) -> dict[str, Any]:
    """`json_schema_extra` carrying CEL rules: (rule, message) or (rule, message, fieldPath)."""
    validations = []
    for rule in rules:
        entry = {"rule": rule[0], "message": rule[1]}
        if len(rule) == 3:
            entry["fieldPath"] = rule[2]
        validations.append(entry)
    return {"x-kubernetes-validations": validations}


def list_set(max_items: int) -> Any:
    """Field options for a list that is a set: duplicates refused, order meaningless."""
    return Field(default=None, max_length=max_items, json_schema_extra={"x-kubernetes-list-type": "set"})


def list_map(max_items: int, *keys: str) -> Any:
    """Field options for a list of objects keyed by `keys` (merge patches and SSA merge by key)."""
    return Field(
        default_factory=list,
        max_length=max_items,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": list(keys)},
    )


class ApiModel(BaseModel):
    """Base of every qxo model: camelCase on the wire, snake_case in Python, docstrings as descriptions."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        use_attribute_docstrings=True,
        extra="forbid",
    )

    def to_k8s(self) -> dict[str, Any]:
        """The wire form: camelCase keys, unset optional fields left out, times as RFC 3339."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class ObservedModel(ApiModel):
    """Base of status models: tolerant of fields a newer operator version wrote."""

    model_config = ConfigDict(extra="ignore")


class DeletionPolicy(StrEnum):
    """What happens remotely when the object is deleted: Delete removes it from the brand, Orphan leaves it."""

    DELETE = "Delete"
    ORPHAN = "Orphan"


class ManagementPolicy(StrEnum):
    """Manage drives the brand to the spec; ObserveOnly only reports the brand's state and never writes to it."""

    MANAGE = "Manage"
    OBSERVE_ONLY = "ObserveOnly"


class LocalObjectReference(ApiModel):
    """A reference to another object in the same namespace."""

    name: DnsName
    """Name of the referenced object, in this object's namespace."""


class SecretKeyRef(ApiModel):
    """A key of a Secret in the same namespace; qxo reads the value, never copies it anywhere.

    Each use gives the key its own default and says what it holds: `SecretKeyRef.defaulting("token",
    "the API token")` is the ref whose `key` defaults to `token`.
    """

    name: DnsName
    """Name of the Secret, in this object's namespace."""
    key: SecretKey
    """Key within the Secret's data."""

    @classmethod
    def defaulting(cls, key: str, holding: str) -> type[SecretKeyRef]:
        """This ref for one use: `key` defaults to `key`, described as the key holding `holding`."""
        made = _DEFAULTING.get((key, holding))
        if made is None:
            made = _DEFAULTING[(key, holding)] = create_model(
                f"SecretKeyRef_{key}", __base__=cls, __doc__=cls.__doc__,
                key=(SecretKey, Field(default=key, description=f"Key of the Secret holding {holding}.")))
        return made


_DEFAULTING: dict[tuple[str, str], type[SecretKeyRef]] = {}


class OAuthClientSecretRef(ApiModel):
    """A Secret in the same namespace holding an OAuth client id and secret."""

    name: DnsName
    """Name of the Secret, in this object's namespace."""
    client_id_key: SecretKey = "client_id"
    """Key of the Secret holding the OAuth client id."""
    client_secret_key: SecretKey = "client_secret"
    """Key of the Secret holding the OAuth client secret."""


class BundleKind(StrEnum):
    """Kind of object holding a CA bundle."""

    CONFIG_MAP = "ConfigMap"
    SECRET = "Secret"


class CABundleRef(ApiModel):
    """PEM CA certificates to trust, from a ConfigMap (or Secret) key in the same namespace."""

    kind: BundleKind = BundleKind.CONFIG_MAP
    """ConfigMap (default) or Secret."""
    name: DnsName
    """Name of the ConfigMap or Secret, in this object's namespace."""
    key: SecretKey = "ca.crt"
    """Key holding the PEM bundle."""


class ConditionStatus(StrEnum):
    """Whether the condition holds."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


ConditionType = Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Z][A-Za-z0-9]*$")]
REASON = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"
Reason = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=REASON)]


class Condition(ObservedModel):
    """One aspect of the object's state, in the shape of Kubernetes' metav1.Condition."""

    type: ConditionType
    """Condition type: Ready, Synced, Reconciling, Stalled, or a kind-specific one such as Authenticated."""
    status: ConditionStatus
    """True, False or Unknown."""
    reason: Reason
    """CamelCase reason for the last transition, for machines."""
    message: Annotated[str, StringConstraints(max_length=4096)] = ""
    """Human-readable detail of the last transition; never contains a secret value."""
    last_transition_time: datetime
    """When the status last changed."""
    observed_generation: Annotated[int, Field(ge=0)] | None = None
    """The metadata.generation the condition was computed from."""


class StatusBase(ObservedModel):
    """Fields every qxo status has."""

    observed_generation: Annotated[int, Field(ge=0)] | None = None
    """The metadata.generation the operator last reconciled."""
    conditions: list[Condition] = list_map(16, "type")
    """Ready and Synced, kstatus's Reconciling and Stalled when they apply, and kind-specific conditions."""

    def condition(self, type_: str) -> Condition | None:
        """The condition of that type, if set."""
        return next((c for c in self.conditions if c.type == type_), None)

    def set_condition(
        self,
        type_: str,
        status: ConditionStatus | Literal["True", "False", "Unknown"] | bool,
        reason: str,
        message: str = "",
        *,
        generation: int | None = None,
        now: datetime | None = None,
    ) -> Condition:
        """Set a condition, keeping lastTransitionTime when the status did not change."""
        if isinstance(status, bool):
            status = ConditionStatus.TRUE if status else ConditionStatus.FALSE
        status = ConditionStatus(status)
        previous = self.condition(type_)
        changed_at = previous.last_transition_time if previous and previous.status == status else None
        condition = Condition(
            type=type_,
            status=status,
            reason=reason,
            message=message,
            last_transition_time=changed_at or (now or datetime.now(UTC)).replace(microsecond=0),
            observed_generation=generation,
        )
        self.conditions = [c for c in self.conditions if c.type != type_] + [condition]
        return condition


class SpecBase(ApiModel):
    """Fields every qxo spec has."""

    deletion_policy: DeletionPolicy = DeletionPolicy.DELETE
    """Delete (default) removes the remote object when this object is deleted; Orphan leaves it in the brand."""
    management_policy: ManagementPolicy = ManagementPolicy.MANAGE
    """Manage (default) drives the brand to this spec; ObserveOnly reports the brand's state without writing."""


class ObjectMeta(BaseModel):
    """The part of metadata qxo reads; everything else is kept as it came."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    name: str = ""
    namespace: str | None = None
    uid: str | None = None
    generation: int | None = None
    resource_version: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    finalizers: list[str] = Field(default_factory=list)
    deletion_timestamp: datetime | None = None


class Printer(BaseModel):
    """One extra printer column of a kind (besides READY, SYNCED and AGE)."""

    name: str
    json_path: str
    description: str
    type: str = "string"


class Resource(BaseModel):
    """A whole qxo object as the API server returns it; subclasses type `spec` and `status`.

    `Kind.model_validate(body)` parses a kopf body or a YAML document; `.spec` is strict
    (unknown fields refused), `.status` tolerant.
    """

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    KIND: ClassVar[str]
    PLURAL: ClassVar[str]
    SCOPE: ClassVar[str] = "Namespaced"  # or "Cluster": the CRD's scope, and how the operator names the object
    SHORT_NAMES: ClassVar[tuple[str, ...]]
    KEY_COLUMN: ClassVar[tuple[Printer, ...]]

    api_version: Literal["qxo.dev/v1alpha1"] = API_VERSION
    kind: str
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)

    @classmethod
    def of_checked_spec(cls, name: str, namespace: str | None, spec: Any,
                        annotations: dict[str, str] | None = None) -> Self:
        """The object as qxo's per-object rules read it, from a spec already validated: nothing is validated again.

        Every field is given, so pydantic calls no default factory: `model_construct` inspects a default
        factory's signature on each call, which cost more than validating the spec itself.
        """
        metadata = ObjectMeta.model_construct(name=name, namespace=namespace, annotations=annotations or {},
                                              labels={}, finalizers=[])
        values: dict[str, Any] = {"kind": cls.KIND, "spec": spec, "metadata": metadata}
        status = cls.model_fields.get("status")
        if status is not None and status.default_factory is not None:
            values["status"] = status.default_factory()  # type: ignore[call-arg]
        return cls.model_construct(**values)

    @property
    def paused(self) -> bool:
        """True when the `qxo.dev/paused: "true"` annotation asks the operator to leave the object alone."""
        return self.metadata.annotations.get(PAUSED_ANNOTATION, "").lower() == "true"

    @property
    def adopt_external_id(self) -> str | None:
        """The remote id named by `qxo.dev/external-id`, to adopt an existing remote object."""
        return self.metadata.annotations.get(EXTERNAL_ID_ANNOTATION) or None
