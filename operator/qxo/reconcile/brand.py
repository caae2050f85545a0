"""QualtricsBrand: connect with the referenced credentials, check who we are, and own the shared observation.

A brand writes nothing: its converge (re)connects when the spec or a Secret changed and observes the
brand at most once per resyncInterval; its finalizer waits while any object may still need the
connection to undo what it made, then disconnects.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

import pydantic

from qxo.api.brand import CredentialsType, QualtricsBrandSpec
from qxo.api.common import parse_duration
from qxo.qualtrics import BrandClient, BrandConfig, errors
from qxo.qualtrics.models import Identity
from qxo.reconcile.conditions import State
from qxo.reconcile.keys import refresh_requested
from qxo.reconcile.protocol import Context, Object, Outcome, Refused, Removal, Waiting
from qxo.reconcile.session import BrandSession, BrandState, seal, seal_key
from qxo.reconcile.trust import check_endpoint, read_ca_bundle, read_secret_keys

IDENTITY_FIELDS = ("userId", "userName", "brandId", "accountType", "datacenter")


def resync_seconds(spec: QualtricsBrandSpec) -> float:
    return max(parse_duration(spec.resync_interval), 1.0)


def endpoint_of(spec: QualtricsBrandSpec) -> tuple[str, str]:
    """The field that says where the brand is, and the URL it means."""
    if spec.base_url:
        return "spec.baseURL", str(spec.base_url)
    return "spec.datacenter", f"https://{spec.datacenter}.qualtrics.com"


async def _config(ctx: Context, obj: Object, namespace: str) -> tuple[BrandConfig, tuple, bytes]:
    """The client's configuration, what it was built from (a new session when that changes), and its seal key."""
    spec: QualtricsBrandSpec = obj.spec
    credentials = spec.credentials
    secrets: dict[str, Any] = {}
    if credentials.type is CredentialsType.API_TOKEN:
        ref, field = credentials.api_token_secret_ref, "spec.credentials.apiTokenSecretRef"
        values, version = await read_secret_keys(ctx, namespace, field, ref.name, {ref.key: f"{field}.key"})
        secrets["api_token"] = values[ref.key]
    else:
        ref, field = credentials.oauth_client_secret_ref, "spec.credentials.oauthClientSecretRef"
        values, version = await read_secret_keys(ctx, namespace, field, ref.name, {
            ref.client_id_key: f"{field}.clientIdKey", ref.client_secret_key: f"{field}.clientSecretKey"})
        secrets.update(oauth_client_id=values[ref.client_id_key], oauth_client_secret=values[ref.client_secret_key])
        if credentials.scopes:
            secrets["oauth_scopes"] = tuple(credentials.scopes)
    ca_bundle = await read_ca_bundle(ctx, namespace, spec.ca_bundle_ref) if spec.ca_bundle_ref else None
    try:
        config = BrandConfig(
            base_url=str(spec.base_url) if spec.base_url else None,
            datacenter=spec.datacenter,
            brand_id=spec.brand_id,
            requests_per_minute=spec.rate_limit.requests_per_minute,
            ca_bundle=ctx.ca_file(obj.key, ca_bundle, "spec.caBundleRef") if ca_bundle else None,
            allowlist=ctx.allowlist,
            **secrets,
        )
    except pydantic.ValidationError as invalid:
        # What the client cannot use (a path, a port out of range): refused, naming the spec's field.
        message = str(invalid.errors()[0]["msg"]).removeprefix("Value error, ")
        for client_field, spec_field in (("base_url:", "spec.baseURL:"), ("datacenter:", "spec.datacenter:")):
            message = message.replace(client_field, spec_field, 1)
        raise Refused("InvalidSpec", message if message.startswith("spec.") else f"spec: {message}") from None
    return config, (spec.model_dump_json(), version, ca_bundle), seal_key(*(str(v) for v in secrets.values()))


async def connect(ctx: Context, obj: Object, namespace: str) -> BrandSession:
    """The brand's session, rebuilt (and whoami checked) whenever the spec or the Secret changed; its Secrets and
    CA bundle are read in `namespace`. An identity the status records and seals for this spec and Secret version
    stands for whoami (`recorded_identity`).

    The endpoint is checked before any Secret is read: a refused one gets nothing, not even a connection.
    """
    field, url = endpoint_of(obj.spec)
    check_endpoint(ctx, field, url, "qualtrics")
    config, fingerprint, key = await _config(ctx, obj, namespace)
    session = ctx.connected(obj.key)
    if session is not None and session.fingerprint == fingerprint:
        return session
    client = ctx.client_factory(config) if ctx.client_factory else BrandClient(config)
    identity = recorded_identity(obj.status, fingerprint, key)
    if identity is not None:  # a previous process asked whoami with these very credentials and spec
        client.share_rate_limit()
        session = BrandSession(client, identity, fingerprint, key, identity_recorded=True)
        await ctx.replace_session(obj.key, session)
        return session
    try:
        identity = await whoami(client, obj, field)
    except BaseException:
        await client.close()
        raise
    client.share_rate_limit()  # authenticated, and for this brand: its rate may now count for everyone
    session = BrandSession(client, identity, fingerprint, key)
    await ctx.replace_session(obj.key, session)
    return session


async def whoami(client: BrandClient, obj: Object, field: str) -> Identity:
    """Who the credentials are in the brand; refused, naming the field, when the brand refuses them or they belong
    to another brand than spec.brandId."""
    try:
        identity = await client.whoami()
    except errors.EndpointRefused as refused:
        raise Refused(refused.reason, f"{field}: {refused.message}") from None
    except errors.AuthenticationFailed as denied:
        why = denied.error_code or denied.status
        raise Refused("AuthenticationFailed", f"spec.credentials: the brand refused them ({why})") from None
    if identity.brand_id != obj.spec.brand_id:
        raise Refused("BrandMismatch",
                      f"spec.brandId: the credentials belong to brand {identity.brand_id!r}, not {obj.spec.brand_id!r}")
    return identity


def identity_fields(identity: Identity) -> dict[str, str]:
    fields = {"userId": identity.user_id, "userName": identity.user_name, "brandId": identity.brand_id,
              "accountType": identity.account_type}
    return {**fields, "datacenter": identity.datacenter_id} if identity.datacenter_id else fields


def identity_parts(fingerprint: tuple, fields: Mapping[str, Any]) -> tuple[str, ...]:
    """What an identity's seal covers: the identity, and the spec and Secret version whoami was asked with."""
    return ("identity", *(str(part or "") for part in fingerprint),
            *(f"{name}={fields.get(name) or ''}" for name in IDENTITY_FIELDS))


def recorded_identity(status: Mapping[str, Any], fingerprint: tuple, key: bytes) -> Identity | None:
    """The identity the status records, when its seal shows whoami gave it for this spec and these credentials:
    a restarted operator connects without asking again (the first observation page still proves the credentials
    work). None when there is no seal, or it does not match."""
    recorded = status.get("identity") or {}
    if not recorded.get("seal") or not hmac.compare_digest(
            str(recorded["seal"]), seal(key, *identity_parts(fingerprint, recorded))):
        return None
    return Identity(brand_id=recorded["brandId"], user_id=recorded["userId"], user_name=recorded["userName"],
                    account_type=recorded["accountType"], datacenter_id=recorded.get("datacenter"))


class BrandReconciler:
    def secrets_namespace(self, ctx: Context, obj: Object) -> str:
        """Where the credentials and the CA bundle are read: the brand's own namespace."""
        return obj.key.namespace

    async def observe(self, ctx: Context, obj: Object) -> tuple[BrandSession, BrandState]:
        session = await connect(ctx, obj, self.secrets_namespace(ctx, obj))
        requested = refresh_requested(obj.body)
        if requested != session.refresh_seen:  # qxo.dev/refresh: a fresh observation, now
            session.refresh_seen = requested
            session.invalidate()
        try:
            return session, await session.observe(max_age=resync_seconds(obj.spec))
        except errors.AuthenticationFailed:
            if not session.identity_recorded:
                raise
            # Refused since the identity was recorded: whoami says why (AuthenticationFailed, BrandMismatch), on
            # the same client, which other converges may be using (replacing it would close it under them).
            session.identity_recorded = False
            await whoami(session.client, obj, endpoint_of(obj.spec)[0])
            raise
        except errors.EndpointRefused as refused:  # a redirect, or a page link elsewhere: the brand's own field
            raise Refused(refused.reason, f"{endpoint_of(obj.spec)[0]}: {refused.message}") from None

    def plan(self, obj: Object, observed: Any) -> tuple[()]:
        return ()  # a brand declares a connection, not remote state

    async def apply(self, ctx: Context, observed: Any, action: Any) -> None:
        raise AssertionError("a brand plans no action")

    def status(self, ctx: Context, obj: Object, observed: tuple[BrandSession, BrandState], outcome: Outcome) -> None:
        session, state = observed
        identity = session.identity
        if outcome.state is State.READY:
            outcome.verdict = Outcome.ready(f"connected as {identity.user_name}").verdict
        fields = identity_fields(identity)
        outcome.status = {
            "identity": {**fields, "seal": session.seal(*identity_parts(session.fingerprint, fields))},
            "observed": {
                "installedExtensions": sum(1 for e in state.extensions.values() if e.installed),
                "accounts": len(state.accounts),
            },
        }
        if session.observed_time is not None:
            outcome.status["lastObservedTime"] = session.observed_time.strftime("%Y-%m-%dT%H:%M:%SZ")
        outcome.recheck_after = resync_seconds(obj.spec)  # and its dependents with it

    async def finalize(self, ctx: Context, obj: Object) -> Removal:
        remaining = await ctx.users_of(obj.key)
        if remaining:
            # Dependents need this connection to clean up after themselves: go last, and connect if no session
            # is held (an operator restarted after the deletion began never converged the brand).
            if ctx.connected(obj.key) is None:
                try:
                    await connect(ctx, obj, self.secrets_namespace(ctx, obj))
                except Refused as refused:  # going now would strand the dependents: keep waiting, say why
                    raise Waiting(refused.reason, refused.message) from None
            raise Waiting("WaitingForDependents",
                          f"{len(remaining)} objects still use this brand: {', '.join(remaining[:5])}")
        await ctx.replace_session(obj.key, None)
        return Removal(done="disconnected")
