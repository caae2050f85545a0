"""The Salesforce client: OAuth refresh and the preflight checks of an integration user and its org.

Knows nothing of kopf or Kubernetes; the reconciler fills `ConnectionSettings` and
`Requirements` from a SalesforceLink and its Secrets.

Each name below is imported from its module on first use, so importing a light module of this
package (`qxo.salesforce.requirements` for `qxo doctor`'s defaults) does not load the HTTP client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

_MODULE_OF = {
    "CHECK_NAMES": "preflight",
    "QUALTRICS_RANGES": "ipranges",
    "AccessToken": "oauth",
    "Check": "checks",
    "ConnectionSettings": "settings",
    "FieldRequirement": "requirements",
    "OAuthError": "errors",
    "ObjectRequirement": "requirements",
    "RecordTypeRequirement": "requirements",
    "RefreshTokenRevoked": "errors",
    "RequestLimitExceeded": "errors",
    "Requirements": "requirements",
    "RetryPolicy": "settings",
    "SalesforceApiError": "errors",
    "SalesforceConnection": "connection",
    "SalesforceError": "errors",
    "SalesforceUnavailable": "errors",
    "SessionExpired": "errors",
    "TokenHolder": "tokens",
    "TokenSignatureInvalid": "errors",
    "refresh_access_token": "oauth",
    "run_preflight": "preflight",
}

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


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
