"""Label selectors as Kubernetes defines them (metav1.LabelSelector), and whether one selects a set of labels.

Used where the platform team says which namespaces something applies to: a ClusterQualtricsBrand's
`spec.namespaceSelector` and an ExtensionPolicy's. The semantics follow the Kubernetes page
"Labels and Selectors" (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements):
the requirements are ANDed; an empty selector selects everything; `In` and `NotIn` need values,
`Exists` and `DoesNotExist` take none; `NotIn` and `DoesNotExist` hold for a label that is absent.
The admission policies in manifests/policy/ evaluate the same rules in CEL.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from qxo.api.common import ApiModel, cel

# A qualified name with an optional DNS-subdomain prefix (apimachinery's IsQualifiedName).
# Dots as [.] so the pattern can sit inside a CEL string literal, where `\.` is not an escape.
LABEL_KEY = (r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
             r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
# Empty, or alphanumerics with - _ . inside (apimachinery's IsValidLabelValue).
LABEL_VALUE = r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$"

LabelKey = Annotated[str, StringConstraints(min_length=1, max_length=317, pattern=LABEL_KEY)]
LabelValue = Annotated[str, StringConstraints(max_length=63, pattern=LABEL_VALUE)]


class SelectorOperator(StrEnum):
    """How a requirement compares the label's value."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


class LabelSelectorRequirement(ApiModel):
    """One requirement on one label key."""

    model_config = ConfigDict(json_schema_extra=cel(
        ("!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
         "values must be non-empty when operator is In or NotIn", ".values"),
        ("!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
         "values must be empty when operator is Exists or DoesNotExist", ".values"),
    ))

    key: LabelKey
    """The label key the requirement applies to."""
    operator: SelectorOperator
    """In, NotIn, Exists or DoesNotExist."""
    values: list[LabelValue] | None = Field(default=None, max_length=64,
                                            json_schema_extra={"x-kubernetes-list-type": "set"})
    """Values for In and NotIn; empty for Exists and DoesNotExist."""


class LabelSelector(ApiModel):
    """Namespaces by their labels: matchLabels and matchExpressions, all of which must hold; {} selects every one."""

    match_labels: dict[str, LabelValue] | None = Field(default=None, max_length=32, json_schema_extra=cel(
        ("self.all(k, k.matches('" + LABEL_KEY + "') && size(k) <= 317)",
         "keys must be label keys: an optional DNS prefix and /, then a name of alphanumerics, -, _ and ."),
    ))
    """Labels a namespace must have, with these values."""
    match_expressions: list[LabelSelectorRequirement] | None = Field(default=None, max_length=32)
    """Requirements a namespace's labels must meet."""

    def selects(self, labels: Mapping[str, str]) -> bool:
        """Whether a namespace with `labels` is selected."""
        if any(labels.get(key) != value for key, value in (self.match_labels or {}).items()):
            return False
        return all(_holds(requirement, labels) for requirement in self.match_expressions or ())

    def describe(self) -> str:
        """The selector in kubectl's words, e.g. `team=a,tier in (gold,silver)`; `<everything>` when empty."""
        parts = [f"{key}={value}" for key, value in sorted((self.match_labels or {}).items())]
        for requirement in self.match_expressions or ():
            values = ",".join(requirement.values or ())
            parts.append({
                SelectorOperator.IN: f"{requirement.key} in ({values})",
                SelectorOperator.NOT_IN: f"{requirement.key} notin ({values})",
                SelectorOperator.EXISTS: requirement.key,
                SelectorOperator.DOES_NOT_EXIST: f"!{requirement.key}",
            }[requirement.operator])
        return ",".join(parts) or "<everything>"


def _holds(requirement: LabelSelectorRequirement, labels: Mapping[str, str]) -> bool:
    present = requirement.key in labels
    if requirement.operator == SelectorOperator.EXISTS:
        return present
    if requirement.operator == SelectorOperator.DOES_NOT_EXIST:
        return not present
    inside = present and labels[requirement.key] in (requirement.values or ())
    return inside if requirement.operator == SelectorOperator.IN else not inside
