"""`qxo validate --policy`: the platform's ExtensionPolicies and ClusterQualtricsBrands applied to a set of manifests.

A pull request from a team is checked against the policies the cluster holds, with the verdicts of
qxo.api.policy, so the check refuses what admission and the operator would, in the same words.
Namespace labels (what selectors select) come from Namespace documents in the files, or from
`--namespace-labels NS=KEY=VALUE`; a namespace whose labels nobody gave is reported, not guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from qxo.api.account import ExtensionAccount
from qxo.api.catalog import BY_ID
from qxo.api.cluster_brand import ClusterQualtricsBrand
from qxo.api.documents import Document, Problem
from qxo.api.extension_policy import ExtensionPolicy
from qxo.api.grant import AccountGrant
from qxo.api.install import ExtensionInstall
from qxo.api.policy import Subject, Verdict, brand_verdict, policy_verdicts
from qxo.api.semantic import Parsed


@dataclass
class PolicyContext:
    """What the cluster's platform side holds: policies, shared brands, and the labels of namespaces."""

    policies: dict[str, ExtensionPolicy] = field(default_factory=dict)
    brands: dict[str, ClusterQualtricsBrand] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, parsed: Iterable[Parsed], others: Iterable[Document]) -> None:
        """Take the policies and brands among qxo objects, and the labels of Namespace documents."""
        for item in parsed:
            if isinstance(item.obj, ExtensionPolicy):
                self.policies[item.obj.metadata.name] = item.obj
            elif isinstance(item.obj, ClusterQualtricsBrand):
                self.brands[item.obj.metadata.name] = item.obj
        for doc in others:
            if doc.api_version == "v1" and doc.kind == "Namespace" and doc.name:
                labels = doc.metadata.get("labels")
                found = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
                # The API server labels every namespace with its own name (NamespaceDefaultLabelName).
                self.labels[doc.name] = {**found, "kubernetes.io/metadata.name": doc.name}


def parse_namespace_labels(values: Iterable[str]) -> dict[str, dict[str, str]]:
    """`NS=KEY=VALUE` arguments as labels per namespace; raises ValueError naming a malformed one."""
    labels: dict[str, dict[str, str]] = {}
    for value in values:
        namespace, sep, label = value.partition("=")
        key, sep2, text = label.partition("=")
        if not (namespace and sep and key and sep2):
            raise ValueError(f"--namespace-labels {value!r}: expected NAMESPACE=KEY=VALUE")
        labels.setdefault(namespace, {"kubernetes.io/metadata.name": namespace})[key] = text
    return labels


def policy_problems(parsed: list[Parsed], context: PolicyContext) -> list[Problem]:
    """Each object's verdicts from the brands it references and the policies selecting its namespace."""
    problems: list[Problem] = []
    unknown: set[str] = set()
    installs = {(item.namespace, item.obj.metadata.name): item.obj for item in parsed
                if isinstance(item.obj, ExtensionInstall)}
    numbers = _account_numbers(parsed)
    for item in parsed:
        if not isinstance(item.obj, ExtensionInstall | ExtensionAccount | AccountGrant):
            continue
        labels = context.labels.get(item.namespace)
        if labels is None:
            if item.namespace not in unknown:
                unknown.add(item.namespace)
                problems.append(item.doc.problem("metadata.namespace", (
                    f"the labels of namespace {item.namespace!r} are unknown, so no policy or brand selector was "
                    "checked for it: add its Namespace document or --namespace-labels "
                    f"{item.namespace}=KEY=VALUE"), "warning"))
            continue
        verdicts = list(_brand_verdicts(item, context, labels))
        extension_id = _extension_id(item, installs)
        subject = Subject(item.obj, item.namespace, labels, extension_id=extension_id,
                          facts=BY_ID.get(extension_id) if extension_id else None,
                          account_number=numbers.get(id(item)))
        verdicts += policy_verdicts(context.policies.values(), subject)
        problems += [item.doc.problem(verdict.field, verdict.text()) for verdict in verdicts]
    return problems


def _brand_verdicts(item: Parsed, context: PolicyContext, labels: dict[str, str]) -> Iterator[Verdict]:
    brand_ref = getattr(item.obj.spec, "brand_ref", None)
    if brand_ref is None or not brand_ref.cluster:
        return
    brand = context.brands.get(brand_ref.name)
    if brand is not None and (verdict := brand_verdict(brand, item.namespace, labels)) is not None:
        yield verdict


def _extension_id(item: Parsed, installs: dict[tuple[str, str], ExtensionInstall]) -> str | None:
    """The extension an install or an account is of, where the set says."""
    if isinstance(item.obj, ExtensionInstall):
        return item.obj.spec.extension_id
    if isinstance(item.obj, ExtensionAccount):
        spec = item.obj.spec
        if spec.extension_id is not None:
            return spec.extension_id
        install = installs.get((item.namespace, spec.install_ref.name)) if spec.install_ref else None
        return install.spec.extension_id if install is not None else None
    return None


def _account_numbers(parsed: list[Parsed]) -> dict[int, int]:
    """Each account's place among its namespace's accounts, from 1, in file order (offline, the files' order
    stands in for the cluster's oldest-first)."""
    counts: dict[str, int] = {}
    numbers = {}
    for item in parsed:
        if isinstance(item.obj, ExtensionAccount):
            counts[item.namespace] = counts.get(item.namespace, 0) + 1
            numbers[id(item)] = counts[item.namespace]
    return numbers
