"""A SalesforceLink's Salesforce side: its OAuth token kept fresh, and the preflight proving the org meets
the seed's requirements.

Both live in a `LinkSession` per link (in the link's memory), rebuilt when the spec or a referenced
Secret changes; a revoked refresh token is remembered so it is not retried until the Secret is replaced.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from qxo.api.common import parse_duration
from qxo.api.salesforce import SalesforceLinkSpec
from qxo.kube.secrets import SecretNotOwned
from qxo.observability import logs, metrics
from qxo.reconcile.conditions import Condition
from qxo.reconcile.protocol import Context, Object, Refused, Retry
from qxo.reconcile.trust import check_endpoint, read_ca_bundle, read_secret_keys
from qxo.salesforce import (
    Check,
    ConnectionSettings,
    FieldRequirement,
    ObjectRequirement,
    RecordTypeRequirement,
    RefreshTokenRevoked,
    Requirements,
    SalesforceError,
    SalesforceUnavailable,
    TokenHolder,
    run_preflight,
)
from qxo.salesforce import (
    SalesforceConnection as SalesforceOrg,
)
from qxo.salesforce.errors import EndpointRefused, RequestLimitExceeded


def _stamp(moment: datetime | float) -> str:
    if isinstance(moment, float | int):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class LinkSession:
    fingerprint: tuple
    org: SalesforceOrg
    tokens: TokenHolder
    credentials: dict[str, str] = field(repr=False)
    revoked: str | None = None
    checks: list[Check] = field(default_factory=list)
    preflight_at: float | None = None
    preflight_time: datetime | None = None
    preflight_generation: int | None = None
    token_written: Any = None

    def close(self) -> None:
        self.org.close()


def _requirements(spec: SalesforceLinkSpec) -> Requirements:
    wanted = spec.requirements
    return Requirements(
        objects=tuple(ObjectRequirement(o.name, tuple(str(a) for a in o.access)) for o in wanted.objects),
        fields=tuple(FieldRequirement(f.object, f.field, (str(f.access),)) for f in wanted.fields),
        record_types=tuple(RecordTypeRequirement(r.object, r.developer_name) for r in wanted.record_types),
        connected_app=spec.connected_app,
    )


async def link_session(ctx: Context, obj: Object) -> LinkSession:
    """The link's session, rebuilt when its spec or a Secret it references changed."""
    spec: SalesforceLinkSpec = obj.spec
    # Where the refresh token and client secret would go is checked before either is read.
    check_endpoint(ctx, "spec.loginURL", str(spec.effective_login_url), "salesforce")
    oauth, namespace, memory = spec.oauth, obj.key.namespace, ctx.memory(obj.key)
    client_ref, refresh_ref = oauth.client_secret_ref, oauth.refresh_token_secret_ref
    client, client_version = await read_secret_keys(ctx, namespace, "spec.oauth.clientSecretRef", client_ref.name, {
        client_ref.client_id_key: "spec.oauth.clientSecretRef.clientIdKey",
        client_ref.client_secret_key: "spec.oauth.clientSecretRef.clientSecretKey"})
    refresh, refresh_version = await read_secret_keys(
        ctx, namespace, "spec.oauth.refreshTokenSecretRef", refresh_ref.name,
        {refresh_ref.key: "spec.oauth.refreshTokenSecretRef.key"})
    pem = await read_ca_bundle(ctx, namespace, spec.ca_bundle_ref) if spec.ca_bundle_ref else None
    fingerprint = (spec.model_dump_json(), client_version, refresh_version, pem)
    current = memory.get("session")
    if current is not None and current.fingerprint == fingerprint:
        return current
    if current is not None:
        memory.pop("session").close()
    try:
        settings = ConnectionSettings(
            client_id=client[client_ref.client_id_key],
            client_secret=client[client_ref.client_secret_key],
            refresh_token=refresh[refresh_ref.key],
            environment=str(spec.environment),
            login_url=str(spec.login_url) if spec.login_url else None,
            ca_bundle=ctx.ca_file(obj.key, pem, "spec.caBundleRef") if pem else None,
            allowlist=ctx.allowlist,
        )
    except ValueError as invalid:  # what the client cannot use; the message starts with its field
        raise Refused("InvalidSpec", str(invalid).replace("login_url:", "spec.loginURL:", 1)) from None
    tokens = TokenHolder(settings)
    session = memory["session"] = LinkSession(
        fingerprint, SalesforceOrg(settings, tokens=tokens), tokens,
        credentials={"clientId": settings.client_id, "refreshToken": settings.refresh_token})
    return session


def _conditions(authenticated: tuple[str, str, str], preflight: tuple[str, str, str] | None) -> list[Condition]:
    conditions = [Condition("Authenticated", *authenticated)]
    if preflight is not None:
        conditions.append(Condition("PreflightPassed", *preflight))
    return conditions


async def authenticate_and_check(ctx: Context, obj: Object, link: LinkSession) -> tuple[Any, dict[str, Any]]:
    """Token fresh (and written to the link's Secret), preflight run when due: the token and the status it
    gives; Refused (with the Authenticated condition) or Retry when Salesforce says no or is unavailable."""
    spec: SalesforceLinkSpec = obj.spec
    if link.revoked:
        raise Refused("RefreshTokenRevoked", link.revoked,
                      conditions=_conditions(("False", "RefreshTokenRevoked", link.revoked), None))
    refreshes = link.tokens.refresh_count
    try:
        token = await link.tokens.current()
    except EndpointRefused as refused:  # not allowed, a metadata address, or a redirect: nothing was sent on
        metrics.salesforce_token_refresh("failed")
        raise _endpoint_refusal(refused) from None
    except RefreshTokenRevoked:
        metrics.salesforce_token_refresh("revoked")
        link.revoked = (f"spec.oauth.refreshTokenSecretRef: Salesforce refused the refresh token in Secret "
                        f"{spec.oauth.refresh_token_secret_ref.name} (invalid_grant: revoked or expired); replace it "
                        "to retry")
        raise Refused("RefreshTokenRevoked", link.revoked,
                      conditions=_conditions(("False", "RefreshTokenRevoked", link.revoked), None)) from None
    except (SalesforceUnavailable, RequestLimitExceeded) as busy:
        metrics.salesforce_token_refresh("failed")
        raise Retry("SalesforceUnavailable", f"Salesforce is unavailable: {type(busy).__name__}") from None
    except SalesforceError as refused:
        metrics.salesforce_token_refresh("failed")
        message = f"Salesforce refused the token request: {type(refused).__name__}: {refused}"
        raise Refused("AuthenticationFailed", message,
                      conditions=_conditions(("False", "AuthenticationFailed", message), None)) from None
    if link.tokens.refresh_count != refreshes:
        metrics.salesforce_token_refresh("ok")
        logs.redact_values([token.access_token])
    token_secret = f"{obj.key.name}-salesforce-token"
    if token is not link.token_written:
        try:
            await ctx.secrets.write_secret(obj.key.namespace, token_secret, {
                "access_token": token.access_token, "instance_url": token.instance_url,
                "expires_at": _stamp(token.expires_at)}, owner=obj.body)
        except SecretNotOwned as taken:
            raise Refused("TokenSecretNotOwned", f"metadata.name: {taken}; qxo keeps the link's access token "
                                                 "in that Secret and never overwrites one it does not own: "
                                                 "delete or rename it, or rename the link") from None
        link.token_written = token
    generation = obj.generation
    interval = parse_duration(spec.refresh_interval)
    due = link.preflight_at is None or link.preflight_generation != generation \
        or time.monotonic() - link.preflight_at >= interval
    if due:
        try:
            link.checks = await run_preflight(link.org, _requirements(spec),
                                              additional_ranges=tuple(spec.additional_login_ip_ranges))
        except (SalesforceUnavailable, RequestLimitExceeded) as busy:
            raise Retry("SalesforceUnavailable", f"Salesforce is unavailable: {type(busy).__name__}") from None
        except EndpointRefused as refused:
            raise _endpoint_refusal(refused) from None
        for check in link.checks:
            if check.result == "Failed":
                metrics.preflight_failure(check.name)
        link.preflight_at, link.preflight_time = time.monotonic(), datetime.now(UTC)
        link.preflight_generation = generation
    status = {
        "orgId": token.organization_id,
        "instanceURL": token.instance_url,
        "tokenSecretName": token_secret,
        "tokenExpiresAt": _stamp(token.expires_at),
        "checks": [{"name": c.name, "result": c.result, "message": c.message} for c in link.checks],
        "lastPreflightTime": _stamp(link.preflight_time) if link.preflight_time else None,
    }
    return token, status


def _endpoint_refusal(refused: EndpointRefused) -> Refused:
    message = f"spec.loginURL: {refused}"
    return Refused(refused.reason, message, conditions=_conditions(("False", refused.reason, message), None))


def judge_preflight(checks: list[Check], require_verified: bool) -> tuple[Refused | None, Condition]:
    """The PreflightPassed condition, and the refusal that keeps the link from its connection, if any.

    A Failed check refuses the link. An Unknown one (the seed: the linked user need not be a System
    Administrator, so some checks may be unverifiable) is reported, naming the checks and the permission that
    would verify them, and refuses the link only with spec.preflight.requireVerified."""
    failed = [c for c in checks if c.result == "Failed"]
    if failed:
        message = "; ".join(f"{c.name} {c.result}: {c.message}" for c in failed)
        return Refused("PreflightFailed", message), Condition("PreflightPassed", "False", "PreflightFailed", message)
    unknown = [c for c in checks if c.result == "Unknown"]
    if not unknown:
        return None, Condition("PreflightPassed", "True", "AllChecksPassed", f"{len(checks)} checks passed")
    by_permission: dict[str, list[str]] = {}
    for check in unknown:
        by_permission.setdefault(check.needs or "a check in Setup, see status.checks", []).append(check.name)
    unverified = "; ".join(f"{', '.join(names)} (verifiable with {needs})" for needs, names in by_permission.items())
    message = f"{len(checks) - len(unknown)} checks passed, {len(unknown)} unverifiable by the integration user: " \
              f"{unverified}"
    condition = Condition("PreflightPassed", "Unknown", "ChecksUnverified", message)
    if require_verified:
        refused = f"spec.preflight.requireVerified: {message}; grant the permission named, or set " \
                  "requireVerified: false"
        return Refused("PreflightUnverified", refused), condition
    return None, condition


def next_check_in(link: LinkSession | None, spec_interval: str) -> float:
    """Seconds until the token or the preflight is due: the link's loop sleeps no longer than this."""
    interval = parse_duration(spec_interval)
    if link is None or link.preflight_at is None:
        return interval
    waits = [interval - (time.monotonic() - link.preflight_at)]
    token = link.tokens.token
    if token is not None:
        margin = max(60.0, 0.1 * (token.expires_at - token.issued_at))
        waits.append(token.expires_at - margin - time.time())
    return max(1.0, min(waits))
