"""The Salesforce client: OAuth refresh and the preflight checks of an integration user and its org.

Knows nothing of kopf or Kubernetes; the reconciler fills `ConnectionSettings` and
`Requirements` from a SalesforceLink and its Secrets.
"""

from qxo.salesforce.checks import Check
from qxo.salesforce.connection import SalesforceConnection
from qxo.salesforce.errors import (
    OAuthError,
    RefreshTokenRevoked,
    RequestLimitExceeded,
    SalesforceApiError,
    SalesforceError,
    SalesforceUnavailable,
    SessionExpired,
    TokenSignatureInvalid,
)
from qxo.salesforce.ipranges import QUALTRICS_RANGES
from qxo.salesforce.oauth import AccessToken, refresh_access_token
from qxo.salesforce.preflight import CHECK_NAMES, run_preflight
from qxo.salesforce.requirements import (
    FieldRequirement,
    ObjectRequirement,
    RecordTypeRequirement,
    Requirements,
)
from qxo.salesforce.settings import ConnectionSettings, RetryPolicy
from qxo.salesforce.tokens import TokenHolder

__all__ = [
    "CHECK_NAMES",
    "QUALTRICS_RANGES",
    "AccessToken",
    "Check",
    "ConnectionSettings",
    "FieldRequirement",
    "OAuthError",
    "ObjectRequirement",
    "RecordTypeRequirement",
    "RefreshTokenRevoked",
    "RequestLimitExceeded",
    "Requirements",
    "RetryPolicy",
    "SalesforceApiError",
    "SalesforceConnection",
    "SalesforceError",
    "SalesforceUnavailable",
    "SessionExpired",
    "TokenHolder",
    "TokenSignatureInvalid",
    "refresh_access_token",
    "run_preflight",
]
