"""ClusterQualtricsBrand: one brand connection the platform team shares with the namespaces it selects.

Its credentials stay in a namespace the platform team controls; namespaced objects reach it with
`brandRef: {kind: ClusterQualtricsBrand, name: ...}` (BrandReference) and only from a namespace its
`spec.namespaceSelector` selects (docs/tenancy.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from qxo.api.brand import BrandCredentials, QualtricsBrandSpec, QualtricsBrandStatus
from qxo.api.common import ApiModel, CABundleRef, DnsName, Printer, Resource
from qxo.api.selector import LabelSelector

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# Where the shipped manifests run the operator; offline checks assume it for credentials without a namespace.
DEFAULT_CREDENTIALS_NAMESPACE = "qxo-system"
NamespaceName = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=DNS_LABEL)]


class BrandKind(StrEnum):
    """Which kind of brand object a brandRef names."""

    QUALTRICS_BRAND = "QualtricsBrand"
    CLUSTER_QUALTRICS_BRAND = "ClusterQualtricsBrand"


class BrandReference(ApiModel):
    """The brand an object belongs to: a QualtricsBrand in this namespace, or a ClusterQualtricsBrand."""

    kind: BrandKind = BrandKind.QUALTRICS_BRAND
    """QualtricsBrand (default: in this object's namespace) or ClusterQualtricsBrand (shared by the platform team,
    usable from the namespaces its spec.namespaceSelector selects)."""
    name: DnsName
    """Name of the brand object."""

    @property
    def cluster(self) -> bool:
        """Whether the reference is to a ClusterQualtricsBrand."""
        return self.kind == BrandKind.CLUSTER_QUALTRICS_BRAND


class ClusterBrandCredentials(BrandCredentials):
    """Where the brand administrator credentials live: Secrets in one namespace the platform team controls."""

    namespace: NamespaceName | None = None
    """Namespace of the Secrets named here and of spec.caBundleRef; the operator's own namespace when omitted. Only
    the operator (and the platform team) need access there: namespaces using the brand never read its token."""


class ClusterQualtricsBrandSpec(QualtricsBrandSpec):
    """Desired connection to one Qualtrics brand, shared with the namespaces the selector selects."""

    credentials: ClusterBrandCredentials
    """Brand administrator credentials, referenced from Secrets in spec.credentials.namespace."""
    ca_bundle_ref: CABundleRef | None = None
    """Extra CA certificates to trust for the brand API (a proxy or private endpoint), read in
    spec.credentials.namespace."""
    namespace_selector: LabelSelector
    """Namespaces whose objects may use this brand through brandRef: {kind: ClusterQualtricsBrand, name: ...}.
    {} selects every namespace. Select the platform namespace too if installs are declared there."""


class ClusterQualtricsBrand(Resource):
    """Connection to one Qualtrics brand, cluster-scoped: the platform team holds its credentials and says which
    namespaces may declare installs, accounts and grants on it."""

    KIND: ClassVar[str] = "ClusterQualtricsBrand"
    PLURAL: ClassVar[str] = "clusterqualtricsbrands"
    SCOPE: ClassVar[str] = "Cluster"
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ("cqbrand",)
    KEY_COLUMN: ClassVar[tuple[Printer, ...]] = (
        Printer(name="Brand", json_path=".spec.brandId", description="The brand id"),
        Printer(name="Datacenter", json_path=".spec.datacenter", description="The datacenter, if set"),
    )

    kind: str = KIND
    spec: ClusterQualtricsBrandSpec
    status: QualtricsBrandStatus = Field(default_factory=QualtricsBrandStatus)
