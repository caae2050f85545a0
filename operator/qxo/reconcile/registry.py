"""The kinds the operator reconciles: one entry each, with what it references and how it relates to a brand.

The runtime, the kopf handlers and the metrics read this table and nothing else about kinds. Adding a
kind is its API model (qxo.api), its reconciler module, and its line here (docs/architecture.md,
"Adding a kind").
"""

from __future__ import annotations

from collections.abc import Iterator

from qxo.api import (
    AccountGrant,
    ClusterQualtricsBrand,
    ExtensionAccount,
    ExtensionInstall,
    QualtricsBrand,
    SalesforceLink,
)
from qxo.reconcile.account import AccountReconciler, cluster_account_claim, install_attachment
from qxo.reconcile.brand import BrandReconciler
from qxo.reconcile.cluster_brand import ClusterBrandReconciler
from qxo.reconcile.grant import GrantReconciler, account_claim
from qxo.reconcile.install import InstallReconciler, extension_claim
from qxo.reconcile.keys import CONFIGMAP, SECRET
from qxo.reconcile.link import LinkReconciler, owner_and_org
from qxo.reconcile.protocol import BrandRole, Kind, Ref

BRAND = QualtricsBrand.KIND
CA_BUNDLE = Ref(CONFIGMAP, "caBundleRef", kind_field="kind")  # a ConfigMap, or the Secret `kind` names
# A ClusterQualtricsBrand's Secrets and CA bundle live in its credentials namespace (else the operator's).
IN_PLATFORM = "credentials.namespace"


class Registry:
    """The table: `Kind` entries in order, looked up by name."""

    def __init__(self, *kinds: Kind) -> None:
        self._kinds: list[Kind] = []
        for kind in kinds:
            self.register(kind)

    def register(self, kind: Kind) -> None:
        if any(known.name == kind.name for known in self._kinds):
            raise ValueError(f"{kind.name} is registered already")
        self._kinds.append(kind)

    def named(self, name: str) -> Kind:
        return next(kind for kind in self._kinds if kind.name == name)

    def __iter__(self) -> Iterator[Kind]:
        return iter(list(self._kinds))

    def __len__(self) -> int:
        return len(self._kinds)


KINDS = Registry(
    Kind(QualtricsBrand, BrandReconciler, brand=BrandRole.CONNECTS, waiting_reason="WaitingForBrand",
         refs=(Ref(SECRET, "credentials.apiTokenSecretRef"), Ref(SECRET, "credentials.oauthClientSecretRef"),
               CA_BUNDLE)),
    Kind(ClusterQualtricsBrand, ClusterBrandReconciler, brand=BrandRole.CONNECTS, waiting_reason="WaitingForBrand",
         refs=(Ref(SECRET, "credentials.apiTokenSecretRef", namespace_at=IN_PLATFORM),
               Ref(SECRET, "credentials.oauthClientSecretRef", namespace_at=IN_PLATFORM),
               Ref(CONFIGMAP, "caBundleRef", kind_field="kind", namespace_at=IN_PLATFORM))),
    Kind(ExtensionInstall, InstallReconciler, refs=(Ref(BRAND, "brandRef", parent=True, kind_field="kind"),),
         claim=extension_claim, holds="installed", waiting_reason="WaitingForInstall"),
    Kind(ExtensionAccount, AccountReconciler, waiting_reason="WaitingForAccount",
         refs=(Ref(ExtensionInstall.KIND, "installRef", parent=True), Ref(ClusterQualtricsBrand.KIND, "brandRef"),
               Ref(SECRET, "credentials.secretRef")),
         claim=cluster_account_claim, attach=install_attachment),
    Kind(AccountGrant, GrantReconciler, refs=(Ref(ExtensionAccount.KIND, "accountRef", parent=True),),
         claim=account_claim),
    Kind(SalesforceLink, LinkReconciler, claim=owner_and_org,
         refs=(Ref(BRAND, "brandRef", parent=True), Ref(SECRET, "oauth.clientSecretRef"),
               Ref(SECRET, "oauth.refreshTokenSecretRef"), CA_BUNDLE)),
)
