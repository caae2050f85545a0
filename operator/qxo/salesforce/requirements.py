"""What a link declares it needs from the org: object and field access, record types, the connected app.

Plain frozen dataclasses, validated on construction with messages that name the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Declared access -> the ObjectPermissions field that grants it, and the label Setup shows.
OBJECT_ACCESS = {
    "ViewAll": ("PermissionsViewAllRecords", "View All"),
    "ModifyAll": ("PermissionsModifyAllRecords", "Modify All"),
    "Create": ("PermissionsCreate", "Create"),
    "Read": ("PermissionsRead", "Read"),
    "Edit": ("PermissionsEdit", "Edit"),
    "Delete": ("PermissionsDelete", "Delete"),
}
FIELD_ACCESS = {
    "Read": ("PermissionsRead", "Read Access"),
    "Edit": ("PermissionsEdit", "Edit Access"),
}
DEFAULT_CONNECTED_APP = "Qualtrics Surveys"
_API_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def canonical_access(value: str, allowed: dict, where: str) -> str:
    """Match an access name case-insensitively (`viewall`, `ViewAll`) to its canonical spelling."""
    for name in allowed:
        if name.lower() == value.strip().lower():
            return name
    raise ValueError(f"{where}: unknown access {value!r}; expected one of {', '.join(allowed)}")


def _api_name(value: str, where: str) -> str:
    if not isinstance(value, str) or not _API_NAME.match(value):
        raise ValueError(f"{where}: {value!r} is not a Salesforce API name")
    return value


def _access_tuple(values, allowed: dict, where: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = (values,)
    access = tuple(dict.fromkeys(canonical_access(v, allowed, where) for v in values))
    if not access:
        raise ValueError(f"{where}: at least one access is required")
    return access


@dataclass(frozen=True)
class ObjectRequirement:
    name: str
    access: tuple[str, ...]

    def __post_init__(self) -> None:
        _api_name(self.name, "objects[].name")
        object.__setattr__(self, "access", _access_tuple(self.access, OBJECT_ACCESS, f"objects[{self.name}].access"))


@dataclass(frozen=True)
class FieldRequirement:
    object: str
    field: str
    access: tuple[str, ...]

    def __post_init__(self) -> None:
        _api_name(self.object, "fields[].object")
        _api_name(self.field, "fields[].field")
        where = f"fields[{self.object}.{self.field}].access"
        object.__setattr__(self, "access", _access_tuple(self.access, FIELD_ACCESS, where))

    @property
    def qualified(self) -> str:
        return f"{self.object}.{self.field}"


@dataclass(frozen=True)
class RecordTypeRequirement:
    object: str
    developer_name: str

    def __post_init__(self) -> None:
        _api_name(self.object, "recordTypes[].object")
        _api_name(self.developer_name, "recordTypes[].developerName")

    @property
    def qualified(self) -> str:
        return f"{self.object}.{self.developer_name}"


@dataclass(frozen=True)
class Requirements:
    objects: tuple[ObjectRequirement, ...] = ()
    fields: tuple[FieldRequirement, ...] = ()
    record_types: tuple[RecordTypeRequirement, ...] = ()
    # The connected app whose OAuth policies are checked, by its name in Setup > Manage Connected Apps.
    connected_app: str = DEFAULT_CONNECTED_APP

    def __post_init__(self) -> None:
        for name in ("objects", "fields", "record_types"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.connected_app.strip():
            raise ValueError("connectedApp: must not be empty")
