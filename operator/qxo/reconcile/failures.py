"""Every failure of a reconcile is a decision: refuse with a condition, or retry with backoff.

One mapping for every kind (docs/architecture.md, "Every failure is a decision"); a failure not
listed here is a bug, which the runtime reports as InternalError and retries.
"""

from __future__ import annotations

from qxo.qualtrics import errors
from qxo.reconcile.outcome import Outcome, Refused, Retry
from qxo.salesforce.errors import EndpointRefused

# Our observation was out of date: observe again, retry soon.
STALE = (errors.NotFound, errors.Conflict)


def outcome_of(failure: Exception) -> Outcome | None:
    """The outcome `failure` stands for, None when it is not one qxo decided about (a bug)."""
    if isinstance(failure, Refused):
        return Outcome.refused(failure.reason, failure.message, status=dict(failure.status),
                               extra_conditions=list(failure.conditions))
    if isinstance(failure, Retry):
        return Outcome.retrying(failure.reason, failure.message, failure.retry_after)
    if isinstance(failure, errors.EndpointRefused | EndpointRefused):
        # Not allowed, a metadata address, or a redirect: a configuration problem retrying cannot fix.
        return Outcome.refused(failure.reason, str(getattr(failure, "message", failure)))
    if isinstance(failure, errors.TLSVerificationFailed):
        return Outcome.refused("TLSVerificationFailed", failure.message)
    if isinstance(failure, errors.RateLimited | errors.Unavailable):
        return Outcome.retrying("BrandUnavailable", f"the brand is unavailable: {failure}", failure.retry_after)
    if isinstance(failure, errors.AuthenticationFailed):
        return Outcome.retrying("BrandAuthenticationFailed", f"the brand refused the credentials: {failure}")
    if isinstance(failure, errors.Forbidden):
        return Outcome.refused("Forbidden", f"the brand refused: {failure}")
    if isinstance(failure, errors.Invalid):
        field = f"{failure.field}: " if failure.field else ""
        return Outcome.refused("BrandRefused", f"{field}{failure.message} ({failure.error_code})")
    if isinstance(failure, STALE):
        return Outcome.retrying("ObservationStale", f"the brand changed under us: {failure}", 1.0)
    return None
