"""What the server serves: built-in resource types and those derived from applied CRDs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

Cell = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Column:
    """One printer column; `cell` computes it for built-ins, `json_path` for CRDs."""

    name: str
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0
    json_path: str = ""
    cell: Cell | None = None
    age: bool = False  # a timestamp shown as an age ("5m"), as the real server renders AGE and LAST SEEN


@dataclass
class ResourceType:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    status_subresource: bool = False
    columns: list[Column] = field(default_factory=list)
    # extra field selectors beyond metadata.name/namespace, as the real server registers them per kind
    field_labels: frozenset[str] = frozenset()
    # top-level fields a built-in kind knows, for fieldValidation on kinds with no CRD schema
    known_fields: frozenset[str] = frozenset()
    schema: dict[str, Any] | None = None
    crd_name: str = ""
    tracks_generation: bool = False
    storage_group: str | None = None
    verbs: tuple[str, ...] = tuple(VERBS)
    to_storage: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    from_storage: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> str:
        """Versions of one resource share storage, as they share one etcd prefix."""
        group = self.group if self.storage_group is None else self.storage_group
        return f"{group}/{self.plural}"


def _age_column() -> Column:
    return Column("Age", "string", description="CreationTimestamp", json_path=".metadata.creationTimestamp", age=True)


def _name_column() -> Column:
    return Column("Name", "string", "name", "Name must be unique within a namespace.", json_path=".metadata.name")


META_FIELDS = frozenset({"apiVersion", "kind", "metadata"})


def _data_count(obj: dict[str, Any]) -> int:
    return len(obj.get("data") or {}) + len(obj.get("binaryData") or {})


def _core_event(obj: dict[str, Any]) -> dict[str, Any]:
    return _event_to_core(obj) if obj.get("apiVersion") == "events.k8s.io/v1" else obj


# The columns of Kubernetes' event printer (pkg/printers/internalversion), for both Event APIs.
def _first_seen(obj: dict[str, Any]) -> str:
    event = _core_event(obj)
    return event.get("firstTimestamp") or event.get("eventTime") or ""


def _last_seen(obj: dict[str, Any]) -> str:
    event = _core_event(obj)
    if event.get("series"):
        return event["series"].get("lastObservedTime") or ""
    return event.get("lastTimestamp") or _first_seen(event)


def _involved(obj: dict[str, Any]) -> str:
    ref = _core_event(obj).get("involvedObject") or {}
    return f"{(ref.get('kind') or '').lower()}/{ref.get('name', '')}"


def _event_source(obj: dict[str, Any]) -> str:
    event = _core_event(obj)
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    instance = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {instance}" if instance else component


def _event_count(obj: dict[str, Any]) -> int:
    event = _core_event(obj)
    if event.get("series"):
        return int(event["series"].get("count") or 0)
    return int(event.get("count") or 0) or 1  # singleton events of the new API have no count


def _event_columns() -> list[Column]:
    def field(name: str) -> Cell:
        return lambda obj: _core_event(obj).get(name) or ""

    return [
        Column("Last Seen", cell=_last_seen, age=True),
        Column("Type", cell=field("type")),
        Column("Reason", cell=field("reason")),
        Column("Object", cell=_involved),
        Column("Subobject", priority=1, cell=lambda obj: (_core_event(obj).get("involvedObject") or {}).get(
            "fieldPath", "")),
        Column("Source", priority=1, cell=_event_source),
        Column("Message", cell=field("message")),
        Column("First Seen", priority=1, cell=_first_seen, age=True),
        Column("Count", priority=1, cell=_event_count),
        Column("Name", format="name", priority=1, cell=lambda obj: obj["metadata"]["name"]),
    ]


EVENT_FIELD_LABELS = frozenset(
    {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    }
)

# events.k8s.io/v1 and core v1 Events are one stored object seen two ways, as in the real server.
_EVENT_RENAMES = {
    "regarding": "involvedObject",
    "note": "message",
    "reportingController": "reportingComponent",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}


def _event_to_core(obj: dict[str, Any]) -> dict[str, Any]:
    out = {_EVENT_RENAMES.get(k, k): v for k, v in obj.items()}
    out["apiVersion"] = "v1"
    return out


# The fields each Event API always writes, empty or not (structs and fields without omitempty in Go).
_CORE_EVENT_ZEROS = {"involvedObject": {}, "source": {}, "firstTimestamp": None, "lastTimestamp": None,
                     "eventTime": None, "reportingComponent": "", "reportingInstance": ""}
_EVENTS_V1_ZEROS = {"eventTime": None, "regarding": {}, "deprecatedSource": {}, "deprecatedFirstTimestamp": None,
                    "deprecatedLastTimestamp": None}


def _core_event_out(obj: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", **_CORE_EVENT_ZEROS,
            **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}}


def _event_from_core(obj: dict[str, Any]) -> dict[str, Any]:
    back = {v: k for k, v in _EVENT_RENAMES.items()}
    out = {back.get(k, k): v for k, v in obj.items()}
    for key in ("reportingController", "reportingInstance"):  # omitempty in events.k8s.io/v1
        if out.get(key) == "":
            del out[key]
    return {"apiVersion": "events.k8s.io/v1", "kind": "Event", **_EVENTS_V1_ZEROS,
            **{k: v for k, v in out.items() if k not in ("apiVersion", "kind")}}


_CORE_EVENT_FIELDS = META_FIELDS | {
    "involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type", "eventTime",
    "series", "action", "related", "reportingComponent", "reportingInstance"}


def builtin_types() -> list[ResourceType]:
    return [
        ResourceType(
            "", "v1", "namespaces", "namespace", "Namespace", False, ["ns"],
            columns=[_name_column(), Column("Status", json_path=".status.phase"), _age_column()],
            field_labels=frozenset({"status.phase"}),
            known_fields=META_FIELDS | {"spec", "status"},
            status_subresource=True,
            verbs=tuple(v for v in VERBS if v != "deletecollection"),  # as the real server serves them
        ),
        ResourceType(
            "", "v1", "configmaps", "configmap", "ConfigMap", True, ["cm"],
            columns=[_name_column(), Column("Data", "string", cell=_data_count), _age_column()],
            known_fields=META_FIELDS | {"data", "binaryData", "immutable"},
        ),
        ResourceType(
            "", "v1", "secrets", "secret", "Secret", True,
            columns=[
                _name_column(), Column("Type", json_path=".type"), Column("Data", cell=_data_count), _age_column()
            ],
            field_labels=frozenset({"type"}),
            known_fields=META_FIELDS | {"data", "stringData", "type", "immutable"},
        ),
        ResourceType(
            "", "v1", "events", "event", "Event", True, ["ev"],
            columns=_event_columns(),
            field_labels=EVENT_FIELD_LABELS,
            known_fields=_CORE_EVENT_FIELDS,
            from_storage=_core_event_out,
        ),
        ResourceType(
            "events.k8s.io", "v1", "events", "event", "Event", True, ["ev"],
            columns=_event_columns(),
            field_labels=EVENT_FIELD_LABELS,
            # admission sees the stored (core) form, so the fields known are the core ones
            known_fields=_CORE_EVENT_FIELDS,
            storage_group="",
            to_storage=_event_to_core,
            from_storage=_event_from_core,
        ),
        ResourceType(
            "coordination.k8s.io", "v1", "leases", "lease", "Lease", True,
            columns=[_name_column(), Column("Holder", json_path=".spec.holderIdentity"), _age_column()],
            known_fields=META_FIELDS | {"spec"},
        ),
        ResourceType(
            "apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
            "CustomResourceDefinition", False, ["crd", "crds"], ["api-extensions"],
            status_subresource=True,
            columns=[_name_column(), Column("Created At", "date", json_path=".metadata.creationTimestamp")],
            known_fields=META_FIELDS | {"spec", "status"},
            tracks_generation=True,
        ),
    ]


def types_from_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """One ResourceType per served version of an applied CRD."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    types = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        columns = [_name_column()]
        declared = version.get("additionalPrinterColumns")
        if declared is None:
            columns.append(_age_column())
        for col in declared or []:
            columns.append(
                Column(
                    col["name"], col.get("type", "string"), col.get("format", ""), col.get("description", ""),
                    int(col.get("priority", 0)), json_path=col.get("jsonPath", ""),
                )
            )
        types.append(
            ResourceType(
                group=spec.get("group", ""),
                version=version["name"],
                plural=names.get("plural", ""),
                singular=names.get("singular") or names.get("kind", "").lower(),
                kind=names.get("kind", ""),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=list(names.get("shortNames") or []),
                categories=list(names.get("categories") or []),
                status_subresource="status" in (version.get("subresources") or {}),
                columns=columns,
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
                crd_name=(crd.get("metadata") or {}).get("name", ""),
                tracks_generation=True,
            )
        )
    return types


class Registry:
    """Resource types by (group, version, plural); the source for routing, discovery and OpenAPI."""

    def __init__(self) -> None:
        self.types: dict[tuple[str, str, str], ResourceType] = {}
        self.generation = 0  # bumped on every change so discovery/OpenAPI caches know when to rebuild
        for rtype in builtin_types():
            self.add(rtype)

    def add(self, rtype: ResourceType) -> None:
        self.types[(rtype.group, rtype.version, rtype.plural)] = rtype
        self.generation += 1

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self.types.get((group, version, plural))

    def sync_crd(self, crd: dict[str, Any] | None, old: dict[str, Any] | None) -> None:
        """Serve what `crd` declares, and stop serving what `old` declared and `crd` no longer does."""
        if old is not None:
            for rtype in types_from_crd(old):
                self.types.pop((rtype.group, rtype.version, rtype.plural), None)
        if crd is not None:
            for rtype in types_from_crd(crd):
                self.add(rtype)
        self.generation += 1

    def groups(self) -> dict[str, dict[str, list[ResourceType]]]:
        """group -> version -> types, the core group under ''."""
        out: dict[str, dict[str, list[ResourceType]]] = {}
        for (group, version, _), rtype in sorted(self.types.items()):
            out.setdefault(group, {}).setdefault(version, []).append(rtype)
        return out
