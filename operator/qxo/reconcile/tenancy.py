"""The operator's tenancy backstop: namespace labels and ExtensionPolicies as the watch shows them, and their verdict.

The admission policies (manifests/policy/) refuse what a team may not declare before it is stored;
this is the same judgement (qxo.api.policy) made again before any brand call, for objects admitted
before a policy existed, for clusters without the admission policies, and for the rules admission
cannot check (the catalog's third party and Preview, the number of accounts). A refusal is
`Refused`, so the runtime reports it (Ready=False, Stalled) and writes nothing to the brand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pydantic

from qxo.api.account import ExtensionAccount
from qxo.api.cluster_brand import ClusterQualtricsBrand
from qxo.api.common import Resource
from qxo.api.extension_policy import ExtensionPolicy
from qxo.api.policy import ExtensionFacts, Subject, brand_verdict, policy_verdicts
from qxo.reconcile.index import ObjectIndex
from qxo.reconcile.keys import EXTERNAL_ID_ANNOTATION, ObjectKey
from qxo.reconcile.outcome import Refused, Waiting
from qxo.reconcile.protocol import Object

ACCOUNT = ExtensionAccount.KIND
POLICY_DENIED = "PolicyDenied"
NAMESPACE_NOT_SELECTED = "NamespaceNotSelected"
ADOPTION_NOT_ALLOWED = "AdoptionNotAllowed"
# The label the API server gives every namespace (NamespaceDefaultLabelName), so selectors may name one.
NAME_LABEL = "kubernetes.io/metadata.name"


class TenancyView:
    """Namespace labels and ExtensionPolicies, kept from the watch; each change says which namespaces it touches."""

    def __init__(self) -> None:
        self._labels: dict[str, dict[str, str]] = {}
        self._policies: dict[str, ExtensionPolicy] = {}

    def saw_namespace(self, name: str, body: Mapping[str, Any] | None) -> bool:
        """A namespace appeared, changed or went (`body` None); whether its labels changed."""
        if body is None:
            return self._labels.pop(name, None) is not None
        labels = {str(k): str(v) for k, v in ((body.get("metadata") or {}).get("labels") or {}).items()}
        labels.setdefault(NAME_LABEL, name)
        if self._labels.get(name) == labels:
            return False
        self._labels[name] = labels
        return True

    def saw_policy(self, name: str, body: Mapping[str, Any] | None) -> None:
        """An ExtensionPolicy appeared, changed or went (`body` None)."""
        self._policies.pop(name, None)
        if body is not None:
            # Admitted by the CRD's schema, so it parses; one that does not (an older CRD) restricts nothing.
            with contextlib.suppress(pydantic.ValidationError):
                self._policies[name] = ExtensionPolicy.model_validate(body)

    @property
    def namespaces(self) -> Iterable[str]:
        return tuple(self._labels)

    def labels(self, namespace: str) -> Mapping[str, str]:
        """A namespace's labels; Waiting while the watch has not shown the namespace."""
        labels = self._labels.get(namespace)
        if labels is None:
            raise Waiting("WaitingForNamespace", f"namespace {namespace}'s labels are not known yet")
        return labels

    def check_brand(self, brand: Mapping[str, Any] | None, namespace: str) -> None:
        """Refused when a ClusterQualtricsBrand's namespaceSelector does not select `namespace`."""
        if brand is None:
            return  # the runtime waits for a brand it has not seen
        parsed = ClusterQualtricsBrand.model_validate(brand)
        verdict = brand_verdict(parsed, namespace, self.labels(namespace))
        if verdict is not None:
            raise Refused(NAMESPACE_NOT_SELECTED, verdict.text())

    def check_policies(self, obj: Resource, namespace: str, *, extension_id: str | None = None,
                       facts: ExtensionFacts | None = None, account_number: int | None = None) -> None:
        """Refused, naming each policy, rule and field, when a policy selecting the namespace forbids `obj`."""
        subject = Subject(obj, namespace, self.labels(namespace), extension_id=extension_id, facts=facts,
                          account_number=account_number)
        verdicts = policy_verdicts(self._policies.values(), subject)
        if verdicts:
            raise Refused(POLICY_DENIED, "; ".join(verdict.text() for verdict in verdicts))

    @property
    def has_policies(self) -> bool:
        return bool(self._policies)

    def limits_accounts(self, namespace: str) -> bool:
        """Whether a policy selecting the namespace limits its accounts (only then are they counted)."""
        labels = self._labels.get(namespace) or {}
        return any(p.spec.accounts.max_per_namespace is not None and p.spec.namespace_selector.selects(labels)
                   for p in self._policies.values())

    def selecting(self, name: str, body: Mapping[str, Any] | None) -> set[str]:
        """The namespaces a policy (as `body` says, and as last seen) selects: whose objects its change concerns."""
        policies = [p for p in (self._policies.get(name),) if p is not None]
        with contextlib.suppress(pydantic.ValidationError):
            policies += [ExtensionPolicy.model_validate(body)] if body is not None else []
        return {ns for ns, labels in self._labels.items()
                if any(p.spec.namespace_selector.selects(labels) for p in policies)}

    def selects(self, namespace: str) -> bool:
        """Whether any policy selects the namespace (whose objects a policy change may concern)."""
        labels = self._labels.get(namespace)
        return labels is not None and any(p.spec.namespace_selector.selects(labels) for p in self._policies.values())


def account_number(name: str, created: datetime | str | None, others: Iterable[tuple[str, Any]]) -> int:
    """An account's place among its namespace's accounts, oldest first (then by name), from 1."""
    def order(item: tuple[str, Any]) -> tuple[str, str]:
        return (str(item[1] or ""), item[0])

    mine = order((name, created))
    return 1 + sum(1 for other in others if other[0] != name and order(other) < mine)


def judge(view: TenancyView, index: ObjectIndex, obj: Object, model: type[Resource], *,
          extension_id: str | None = None, facts: ExtensionFacts | None = None) -> None:
    """The backstop for one object: its ClusterQualtricsBrand's selector, then every policy selecting its namespace.

    Costs nothing where there is neither (no namespace labels are even needed), and counts the namespace's
    accounts only when a policy there limits them.
    """
    namespace = obj.key.namespace
    brand_ref = getattr(obj.spec, "brand_ref", None)
    on_cluster_brand = brand_ref is not None and getattr(brand_ref, "cluster", False)
    if on_cluster_brand:
        view.check_brand(index.body(ObjectKey(str(brand_ref.kind), "", brand_ref.name)), namespace)
    if not namespace or not view.has_policies:
        return
    if on_cluster_brand and obj.external_id and view.selects(namespace):
        raise Refused(ADOPTION_NOT_ALLOWED, f"metadata.annotations[{EXTERNAL_ID_ANNOTATION}]: a namespace an "
                                            "ExtensionPolicy selects adopts nothing on a ClusterQualtricsBrand by its "
                                            "id (it could be another team's); declare the account by its name")
    number = None
    if obj.key.kind == ACCOUNT and view.limits_accounts(namespace):
        others = [(key.name, index.part(key, "metadata").get("creationTimestamp"))
                  for key in index.keys(ACCOUNT, namespace)]
        number = account_number(obj.key.name, (obj.body.get("metadata") or {}).get("creationTimestamp"), others)
    resource = model.of_checked_spec(obj.key.name, namespace, obj.spec)
    view.check_policies(resource, namespace, extension_id=extension_id, facts=facts, account_number=number)
