"""The brand client: Qualtrics API v3 and qxo's modelled extension-administration routes.

    from qxo.qualtrics import BrandClient, BrandConfig, errors
"""

from qxo.qualtrics import errors
from qxo.qualtrics.client import BrandClient
from qxo.qualtrics.config import BrandConfig
from qxo.qualtrics.models import (
    Access,
    AccessEntry,
    Account,
    BrandSnapshot,
    Enablement,
    Extension,
    Group,
    Identity,
    Installation,
    SalesforceConnection,
    TermsAcceptance,
    User,
)
from qxo.qualtrics.transport import BrandStats

__all__ = [
    "Access",
    "AccessEntry",
    "Account",
    "BrandClient",
    "BrandConfig",
    "BrandSnapshot",
    "BrandStats",
    "Enablement",
    "Extension",
    "Group",
    "Identity",
    "Installation",
    "SalesforceConnection",
    "TermsAcceptance",
    "User",
    "errors",
]
