"""ObjectMeta validation of a custom resource: name, namespace, labels and annotations, in apimachinery's words."""

from __future__ import annotations

import re
from typing import Any

from qxo.admission import causes as c
from qxo.admission.causes import FieldCause

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"

_DNS1123_LABEL = re.compile("^" + _DNS1123_LABEL_FMT + "$")
_DNS1123_SUBDOMAIN = re.compile("^" + _DNS1123_SUBDOMAIN_FMT + "$")
_QUALIFIED_NAME = re.compile("^" + _QUALIFIED_NAME_FMT + "$")
_LABEL_VALUE = re.compile("^" + _LABEL_VALUE_FMT + "$")

_TOTAL_ANNOTATION_SIZE = 256 * 1024


def regex_error(message: str, fmt: str, *examples: str) -> str:
    """validation.RegexError, double space after the first example included."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    text = message + " (e.g. "
    for index, example in enumerate(examples):
        if index > 0:
            text += " or "
        text += f"'{example}', "
    return text + f"regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def dns1123_subdomain(value: str) -> list[str]:
    errors = []
    if len(value) > 253:
        errors.append(max_len_error(253))
    if not _DNS1123_SUBDOMAIN.match(value):
        errors.append(
            regex_error(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                "and must start and end with an alphanumeric character",
                _DNS1123_SUBDOMAIN_FMT,
                "example.com",
            )
        )
    return errors


def dns1123_label(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append(max_len_error(63))
    if not _DNS1123_LABEL.match(value):
        errors.append(
            regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                "and must start and end with an alphanumeric character",
                _DNS1123_LABEL_FMT,
                "my-name",
                "123-abc",
            )
        )
    return errors


_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)


def qualified_name(value: str) -> list[str]:
    """validation.IsQualifiedName: an optional DNS subdomain prefix and '/', then a name of at most 63."""
    errors: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + msg for msg in dns1123_subdomain(prefix))
    else:
        return [
            "a qualified name "
            + regex_error(_QUALIFIED_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part " + max_len_error(63))
    if not _QUALIFIED_NAME.match(name):
        errors.append("name part " + regex_error(_QUALIFIED_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"))
    return errors


def label_value(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append(max_len_error(63))
    if not _LABEL_VALUE.match(value):
        message = (
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
        errors.append(regex_error(message, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def validate_metadata(metadata: Any) -> list[FieldCause]:
    """ValidateObjectMeta for a custom resource; a non-object metadata is refused as the decoder would."""
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        return [c.type_invalid("metadata", _kind(metadata), "metadata must be an object")]
    out: list[FieldCause] = []
    name = metadata.get("name")
    generate_name = metadata.get("generateName")
    for field, value in (("name", name), ("generateName", generate_name), ("namespace", metadata.get("namespace"))):
        if value is not None and not isinstance(value, str):
            out.append(c.type_invalid(f"metadata.{field}", _kind(value), f"metadata.{field} must be a string"))
    if out:
        return out
    if generate_name:
        # a generated name gets a random suffix, so a trailing '-' is fine in the prefix
        masked = generate_name[:-1] + "a" if generate_name.endswith("-") else generate_name
        out.extend(c.invalid("metadata.generateName", generate_name, msg) for msg in dns1123_subdomain(masked))
    if not name:
        if not generate_name:
            out.append(c.required("metadata.name", "name or generateName is required"))
    else:
        out.extend(c.invalid("metadata.name", name, msg) for msg in dns1123_subdomain(name))
    namespace = metadata.get("namespace")
    if namespace:
        out.extend(c.invalid("metadata.namespace", namespace, msg) for msg in dns1123_label(namespace))
    out.extend(_validate_labels(metadata.get("labels")))
    out.extend(_validate_annotations(metadata.get("annotations")))
    return out


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _string_map(value: Any, field: str, out: list[FieldCause]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        out.append(c.type_invalid(field, _kind(value), f"{field} must be a map of string to string"))
        return {}
    result = {}
    for key, item in value.items():
        if isinstance(item, str):
            result[key] = item
        else:
            out.append(c.type_invalid(f"{field}[{key}]", _kind(item), f"{field}[{key}] must be a string"))
    return result


def _validate_labels(raw: Any) -> list[FieldCause]:
    out: list[FieldCause] = []
    labels = _string_map(raw, "metadata.labels", out)
    for key in sorted(labels):
        out.extend(c.invalid("metadata.labels", key, msg) for msg in qualified_name(key))
        out.extend(c.invalid("metadata.labels", labels[key], msg) for msg in label_value(labels[key]))
    return out


def _validate_annotations(raw: Any) -> list[FieldCause]:
    out: list[FieldCause] = []
    annotations = _string_map(raw, "metadata.annotations", out)
    for key in sorted(annotations):
        out.extend(c.invalid("metadata.annotations", key, msg) for msg in qualified_name(key.lower()))
    total = sum(len(k) + len(v) for k, v in annotations.items())
    if total > _TOTAL_ANNOTATION_SIZE:
        out.append(c.too_long("metadata.annotations", _TOTAL_ANNOTATION_SIZE))
    return out
