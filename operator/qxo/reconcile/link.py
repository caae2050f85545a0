"""SalesforceLink: keep the owner's OAuth token fresh, prove the org meets the seed's requirements,
and register the connection under the owner in the brand.

The Salesforce side (token, preflight) lives in a `LinkSession` per link, rebuilt when the spec or a
referenced Secret changes; a revoked refresh token is remembered so it is not retried until the
Secret is replaced.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from qxo.api.salesforce import SalesforceLinkSpec
from qxo.kube.secrets import SecretNotOwned
from qxo.observability import logs, metrics
from qxo.qualtrics.models import SalesforceConnection
from qxo.reconcile.brand import ca_bundle_pem, parse_duration
from qxo.reconcile.conditions import Condition
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.outcome import Outcome, Refused
from qxo.reconcile.session import BrandSession
from qxo.reconcile.trust import check_endpoint, read_secret
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

if TYPE_CHECKING:
    from qxo.reconcile.runtime import Runtime


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


async def _secret(rt: Runtime, namespace: str, field_path: str, name: str, keys: list[str]) -> tuple[dict, str]:
    secret = await read_secret(rt, namespace, field_path, name)
    for key in keys:
        if not secret.values.get(key):
            raise Refused("SecretKeyMissing", f"{field_path}: Secret {name} has no key {key!r}")
    return {key: secret.values[key] for key in keys}, secret.resource_version


def _requirements(spec: SalesforceLinkSpec) -> Requirements:
    wanted = spec.requirements
    return Requirements(
        objects=tuple(ObjectRequirement(o.name, tuple(str(a) for a in o.access)) for o in wanted.objects),
        fields=tuple(FieldRequirement(f.object, f.field, (str(f.access),)) for f in wanted.fields),
        record_types=tuple(RecordTypeRequirement(r.object, r.developer_name) for r in wanted.record_types),
        connected_app=spec.connected_app,
    )


async def link_session(rt: Runtime, key: ObjectKey, spec: SalesforceLinkSpec) -> LinkSession:
    # Where the refresh token and client secret would go is checked before either is read.
    check_endpoint(rt, "spec.loginURL", str(spec.effective_login_url), "salesforce")
    oauth = spec.oauth
    client, client_version = await _secret(
        rt, key.namespace, "spec.oauth.clientSecretRef", oauth.client_secret_ref.name,
        [oauth.client_secret_ref.client_id_key, oauth.client_secret_ref.client_secret_key])
    refresh, refresh_version = await _secret(
        rt, key.namespace, "spec.oauth.refreshTokenSecretRef", oauth.refresh_token_secret_ref.name,
        [oauth.refresh_token_secret_ref.key])
    pem = await ca_bundle_pem(rt, key.namespace, spec.ca_bundle_ref) if spec.ca_bundle_ref else None
    fingerprint = (spec.model_dump_json(), client_version, refresh_version, pem)
    current = rt.links.get(key)
    if current is not None and current.fingerprint == fingerprint:
        return current
    if current is not None:
        current.close()
    try:
        settings = ConnectionSettings(
            client_id=client[oauth.client_secret_ref.client_id_key],
            client_secret=client[oauth.client_secret_ref.client_secret_key],
            refresh_token=refresh[oauth.refresh_token_secret_ref.key],
            environment=str(spec.environment),
            login_url=str(spec.login_url) if spec.login_url else None,
            ca_bundle=rt.ca_files.file_for(pem, "spec.caBundleRef") if pem else None,
            allowlist=rt.allowlist,
        )
    except ValueError as invalid:  # what the client cannot use; the message starts with its field
        rt.links.pop(key, None)
        raise Refused("InvalidSpec", str(invalid).replace("login_url:", "spec.loginURL:", 1)) from None
    tokens = TokenHolder(settings)
    session = LinkSession(fingerprint, SalesforceOrg(settings, tokens=tokens), tokens,
                          credentials={"clientId": settings.client_id, "refreshToken": settings.refresh_token})
    rt.links[key] = session
    rt.sweep_ca_files()
    return session


def _conditions(authenticated: tuple[str, str, str], preflight: tuple[str, str, str] | None) -> list[Condition]:
    conditions = [Condition("Authenticated", *authenticated)]
    if preflight is not None:
        conditions.append(Condition("PreflightPassed", *preflight))
    return conditions


async def authenticate_and_check(rt: Runtime, key: ObjectKey, body: Mapping[str, Any], spec: SalesforceLinkSpec,
                                 link: LinkSession) -> tuple[LinkSession, Any, dict[str, Any]]:
    """Token fresh (and written to the link's Secret), preflight run when due; raises an Outcome-worthy state."""
    if link.revoked:
        raise LinkRefused("RefreshTokenRevoked", link.revoked,
                          _conditions(("False", "RefreshTokenRevoked", link.revoked), None))
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
        raise LinkRefused("RefreshTokenRevoked", link.revoked,
                          _conditions(("False", "RefreshTokenRevoked", link.revoked), None)) from None
    except (SalesforceUnavailable, RequestLimitExceeded) as busy:
        metrics.salesforce_token_refresh("failed")
        raise LinkRetry("SalesforceUnavailable", f"Salesforce is unavailable: {type(busy).__name__}") from None
    except SalesforceError as refused:
        metrics.salesforce_token_refresh("failed")
        message = f"Salesforce refused the token request: {type(refused).__name__}: {refused}"
        raise LinkRefused("AuthenticationFailed", message,
                          _conditions(("False", "AuthenticationFailed", message), None)) from None
    if link.tokens.refresh_count != refreshes:
        metrics.salesforce_token_refresh("ok")
        logs.redact_values([token.access_token])
    token_secret = f"{key.name}-salesforce-token"
    if token is not link.token_written:
        try:
            await rt.secrets.write_secret(key.namespace, token_secret, {
                "access_token": token.access_token, "instance_url": token.instance_url,
                "expires_at": _stamp(token.expires_at)}, owner=body)
        except SecretNotOwned as taken:
            raise Refused("TokenSecretNotOwned", f"metadata.name: {taken}; qxo keeps the link's access token "
                                                 "in that Secret and never overwrites one it does not own: "
                                                 "delete or rename it, or rename the link") from None
        link.token_written = token
    generation = int((body.get("metadata") or {}).get("generation") or 0)
    interval = parse_duration(spec.refresh_interval)
    due = link.preflight_at is None or link.preflight_generation != generation \
        or time.monotonic() - link.preflight_at >= interval
    if due:
        try:
            link.checks = await run_preflight(link.org, _requirements(spec),
                                              additional_ranges=tuple(spec.additional_login_ip_ranges))
        except (SalesforceUnavailable, RequestLimitExceeded) as busy:
            raise LinkRetry("SalesforceUnavailable", f"Salesforce is unavailable: {type(busy).__name__}") from None
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
    return link, token, status


def _endpoint_refusal(refused: EndpointRefused) -> LinkRefused:
    message = f"spec.loginURL: {refused}"
    return LinkRefused(refused.reason, message, _conditions(("False", refused.reason, message), None))


def judge_preflight(checks: list[Check], require_verified: bool) -> tuple[Outcome | None, Condition]:
    """The PreflightPassed condition, and the refusal that keeps the link from its connection, if any.

    A Failed check refuses the link. An Unknown one (the seed: the linked user need not be a System
    Administrator, so some checks may be unverifiable) is reported, naming the checks and the permission that
    would verify them, and refuses the link only with spec.preflight.requireVerified."""
    failed = [c for c in checks if c.result == "Failed"]
    if failed:
        message = "; ".join(f"{c.name} {c.result}: {c.message}" for c in failed)
        return Outcome.refused("PreflightFailed", message), Condition("PreflightPassed", "False", "PreflightFailed",
                                                                      message)
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
        return Outcome.refused("PreflightUnverified", refused), condition
    return None, condition


class LinkRefused(Exception):
    def __init__(self, reason: str, message: str, conditions: list[Condition]) -> None:
        super().__init__(message)
        self.reason, self.message, self.conditions = reason, message, conditions


class LinkRetry(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


def next_check_in(rt: Runtime, key: ObjectKey, spec_interval: str) -> float:
    """Seconds until the token or the preflight is due: the link's loop sleeps no longer than this."""
    link = rt.links.get(key)
    interval = parse_duration(spec_interval)
    if link is None or link.preflight_at is None:
        return interval
    waits = [interval - (time.monotonic() - link.preflight_at)]
    token = link.tokens.token
    if token is not None:
        margin = max(60.0, 0.1 * (token.expires_at - token.issued_at))
        waits.append(token.expires_at - margin - time.time())
    return max(1.0, min(waits))


# -- the owner's connection in the brand ----------------------------------------------------------

@dataclass(frozen=True)
class CreateConnection:
    user_id: str
    owner: str
    name: str
    environment: str
    instance_url: str
    org_id: str
    credentials: dict[str, str] = field(repr=False, compare=False, hash=False)
    client_request_id: str = ""

    def describe(self) -> str:
        return f"registered a {self.environment} Salesforce connection for {self.owner}"


@dataclass(frozen=True)
class UpdateConnection:
    user_id: str
    connection_id: str
    name: str
    environment: str
    instance_url: str
    org_id: str
    credentials: dict[str, str] | None = field(default=None, repr=False, compare=False, hash=False)

    def describe(self) -> str:
        what = "credentials and details" if self.credentials is not None else "details"
        return f"updated the {what} of Salesforce connection {self.connection_id}"


@dataclass(frozen=True)
class DeleteConnection:
    user_id: str
    connection_id: str

    def describe(self) -> str:
        return f"removed Salesforce connection {self.connection_id} of its previous owner"


def plan_connection(*, name: str, owner: str, owner_id: str, environment: str, instance_url: str, org_id: str,
                    existing: SalesforceConnection | None, previous: SalesforceConnection | None,
                    credentials: dict[str, str], credentials_changed: bool, request_id: str,
                    delete_previous: bool) -> tuple[Any, ...]:
    """Create under the owner, or update; a changed owner is a new connection (the seed: collaborators
    re-authenticate), and the previous owner's connection goes per deletionPolicy."""
    actions: list[Any] = []
    if existing is None:
        actions.append(CreateConnection(owner_id, owner, name, environment, instance_url, org_id, credentials,
                                        request_id))
    elif (existing.instance_url, existing.org_id, existing.environment, existing.name) != \
            (instance_url, org_id, environment, name) or credentials_changed:
        actions.append(UpdateConnection(owner_id, existing.id, name, environment, instance_url, org_id,
                                        credentials if credentials_changed else None))
    if previous is not None and delete_previous:
        actions.append(DeleteConnection(previous.user_id, previous.id))
    return tuple(actions)


async def apply_connection(session: BrandSession, action: Any) -> SalesforceConnection | None:
    client, connections = session.client, session.state.connections
    if isinstance(action, CreateConnection):
        created = await client.create_salesforce_connection(
            action.user_id, name=action.name, environment=action.environment, instance_url=action.instance_url,
            org_id=action.org_id, credentials=action.credentials, client_request_id=action.client_request_id)
        connections[created.id] = created
        return created
    if isinstance(action, UpdateConnection):
        updated = await client.update_salesforce_connection(
            action.user_id, action.connection_id, name=action.name, environment=action.environment,
            instance_url=action.instance_url, org_id=action.org_id, credentials=action.credentials)
        connections[updated.id] = updated
        return updated
    await client.delete_salesforce_connection(action.user_id, action.connection_id)
    connections.pop(action.connection_id, None)
    return None


def refusal_outcome(error: LinkRefused, status: dict[str, Any] | None = None) -> Outcome:
    return Outcome.refused(error.reason, error.message, status=status or {}, extra_conditions=error.conditions)
