"""Pydantic models of the qxo custom resources: the one source of truth for the CRD schemas.

Parse a body with `ExtensionInstall.model_validate(body)` (or `parse_object(body)` when the
kind is not known in advance); `.spec` is typed and strict, `.status` typed and tolerant.
Build a status with the kind's status model, `status.set_condition(...)`, and patch
`status.to_k8s()`.
"""

from qxo.api.account import ExtensionAccount, ExtensionAccountSpec, ExtensionAccountStatus
from qxo.api.brand import QualtricsBrand, QualtricsBrandSpec, QualtricsBrandStatus
from qxo.api.cluster_brand import BrandKind, BrandReference, ClusterQualtricsBrand, ClusterQualtricsBrandSpec
from qxo.api.common import (
    API_VERSION,
    EXTERNAL_ID_ANNOTATION,
    FINALIZER,
    GROUP,
    PAUSED_ANNOTATION,
    VERSION,
    Condition,
    ConditionStatus,
    DeletionPolicy,
    ManagementPolicy,
    Resource,
)
from qxo.api.extension_policy import ExtensionPolicy, ExtensionPolicySpec
from qxo.api.grant import AccountGrant, AccountGrantSpec, AccountGrantStatus
from qxo.api.install import ExtensionInstall, ExtensionInstallSpec, ExtensionInstallStatus
from qxo.api.salesforce import SalesforceLink, SalesforceLinkSpec, SalesforceLinkStatus

KINDS: dict[str, type[Resource]] = {
    kind.KIND: kind for kind in (QualtricsBrand, ExtensionInstall, ExtensionAccount, AccountGrant, SalesforceLink,
                                 ClusterQualtricsBrand, ExtensionPolicy)
}


def parse_object(body: dict) -> Resource:
    """Parse a qxo object of any kind; raises KeyError for a kind that is not qxo's, ValidationError for bad input."""
    return KINDS[body["kind"]].model_validate(body)


__all__ = [
    "API_VERSION",
    "EXTERNAL_ID_ANNOTATION",
    "FINALIZER",
    "GROUP",
    "KINDS",
    "PAUSED_ANNOTATION",
    "VERSION",
    "AccountGrant",
    "AccountGrantSpec",
    "AccountGrantStatus",
    "BrandKind",
    "BrandReference",
    "ClusterQualtricsBrand",
    "ClusterQualtricsBrandSpec",
    "Condition",
    "ConditionStatus",
    "DeletionPolicy",
    "ExtensionAccount",
    "ExtensionAccountSpec",
    "ExtensionAccountStatus",
    "ExtensionInstall",
    "ExtensionInstallSpec",
    "ExtensionInstallStatus",
    "ExtensionPolicy",
    "ExtensionPolicySpec",
    "ManagementPolicy",
    "QualtricsBrand",
    "QualtricsBrandSpec",
    "QualtricsBrandStatus",
    "Resource",
    "SalesforceLink",
    "SalesforceLinkSpec",
    "SalesforceLinkStatus",
    "parse_object",
]
