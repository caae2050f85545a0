"""SalesforceLink: keep the owner's OAuth token fresh, prove the org meets the seed's requirements, and register
the connection under the owner in the brand.

The Salesforce side is `salesforce` (token, preflight), the brand side `connection` (the connection's
actions); this module puts them in the order the runtime drives. A link refuses on its own endpoint and
Secrets before it waits for its brand, and one link per (owner, org) keeps a connection: the oldest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qxo.api.common import DeletionPolicy
from qxo.api.salesforce import SalesforceLinkSpec
from qxo.qualtrics import errors
from qxo.qualtrics.models import SalesforceConnection
from qxo.reconcile import people
from qxo.reconcile.conditions import Condition, State
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.link.connection import DeleteConnection, apply_connection, plan_connection
from qxo.reconcile.link.salesforce import (
    LinkSession,
    authenticate_and_check,
    judge_preflight,
    link_session,
    next_check_in,
)
from qxo.reconcile.protocol import Context, Object, Outcome, Refused, Removal
from qxo.reconcile.session import BrandSession, create_request_id


def owner_and_org(key: ObjectKey, body: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """The (namespace, owner, org) a link's connection is for, once it knows its org: one link per pair."""
    owner, org = (body.get("spec") or {}).get("owner"), (body.get("status") or {}).get("orgId")
    return (key.namespace, owner, org) if isinstance(owner, str) and isinstance(org, str) and org else None


@dataclass
class Observed:
    session: BrandSession
    owner: str = ""
    link: LinkSession | None = None
    token: Any = None
    owner_id: str = ""
    connection: SalesforceConnection | None = None  # the owner's, for this org
    previous: SalesforceConnection | None = None    # a previous owner's, recorded in status
    credentials_changed: bool = False
    applied: tuple[str, str] = ("", "")             # the Secret versions the connection should hold
    status: dict[str, Any] = field(default_factory=dict)
    conditions: list[Condition] = field(default_factory=list)


async def _owner_id(session: BrandSession, obj: Object) -> str:
    """spec.owner's user id: as the sealed status records it (a restart reads no users), else resolved."""
    owner = obj.spec.owner
    recorded = obj.status.get("ownerId")
    if recorded and session.sealed(obj.status.get("ownerSeal"), "owner", owner, str(recorded)):
        return str(recorded)
    return (await people.user_ids(session, [owner], lambda _: "spec.owner"))[owner]


class LinkReconciler:
    async def observe(self, ctx: Context, obj: Object) -> Observed:
        spec: SalesforceLinkSpec = obj.spec
        # Its own endpoint and Secrets first: a refusal there names its field whether or not the brand is Ready.
        link = await link_session(ctx, obj)
        session = ctx.session_for(obj.key)
        owner_id = await _owner_id(session, obj)
        token, status = await authenticate_and_check(ctx, obj, link)
        authenticated = Condition("Authenticated", "True", "TokenRefreshed",
                                  f"access token valid until {status['tokenExpiresAt']}")
        refusal, preflight = judge_preflight(link.checks, spec.preflight.require_verified)
        if refusal is not None:
            raise Refused(refusal.reason, refusal.message, status=status, conditions=[authenticated, preflight])
        holder = ctx.holder(obj, (obj.key.namespace, spec.owner, token.organization_id))
        if holder != obj.key:
            raise Refused("DuplicateLink", f"spec.owner: SalesforceLink {holder.name} already links {spec.owner} to "
                                           f"Salesforce org {token.organization_id}; a user has one connection per org")
        state = await session.observe()
        known = obj.status.get("externalId")
        recorded = state.connections.get(known) if known else None
        # The natural key of a connection is (owner, org): the brand allows one per pair, so adopt it.
        existing = recorded if recorded is not None and recorded.user_id == owner_id else next(
            (c for c in state.connections.values() if c.user_id == owner_id and c.org_id == token.organization_id),
            None)
        applied = link.fingerprint[1:3]
        recorded_versions = obj.status.get("appliedCredentials")
        last_sent = ctx.memory(obj.key).get("sent") or \
            (tuple(recorded_versions.split("/", 1)) if recorded_versions else None)
        return Observed(session, spec.owner, link, token, owner_id, existing,
                        recorded if recorded is not None and recorded.user_id != owner_id else None,
                        existing is not None and last_sent != applied, applied, status, [authenticated, preflight])

    def plan(self, obj: Object, observed: Observed) -> tuple[Any, ...]:
        spec: SalesforceLinkSpec = obj.spec
        token = observed.token
        return plan_connection(
            name=obj.key.name, owner=spec.owner, owner_id=observed.owner_id, environment=str(spec.environment),
            instance_url=token.instance_url, org_id=token.organization_id, existing=observed.connection,
            previous=observed.previous, credentials=observed.link.credentials,
            credentials_changed=observed.credentials_changed,
            request_id=create_request_id(obj.uid, f"{observed.owner_id}/{obj.status.get('externalId')}"),
            delete_previous=spec.deletion_policy is DeletionPolicy.DELETE)

    async def apply(self, ctx: Context, observed: Observed, action: Any) -> None:
        try:
            done = await apply_connection(observed.session, action)
        except errors.Conflict as conflict:
            if conflict.error_code == "SALESFORCE_CONNECTION_LIMIT":
                # No Qualtrics page states a limit; a brand that has one says so, and waiting will not change it.
                message = f"the brand refuses another Salesforce connection for {observed.owner}: {conflict.message}"
                raise Refused("SalesforceConnectionLimit", f"spec.owner: {message}") from None
            raise
        if not isinstance(action, DeleteConnection):
            observed.connection = done

    def status(self, ctx: Context, obj: Object, observed: Observed, outcome: Outcome) -> None:
        status = dict(observed.status)
        if outcome.state is State.READY:
            ctx.memory(obj.key)["sent"] = observed.applied
            status["appliedCredentials"] = "/".join(observed.applied)
        if observed.connection is not None:
            status["externalId"] = observed.connection.id
        if observed.owner_id and outcome.state is State.READY:
            status["ownerId"] = observed.owner_id
            status["ownerSeal"] = observed.session.seal("owner", obj.spec.owner, observed.owner_id)
        outcome.status = status
        outcome.extra_conditions = observed.conditions
        outcome.recheck_after = next_check_in(observed.link, obj.spec.refresh_interval)

    async def finalize(self, ctx: Context, obj: Object) -> Removal:
        known = obj.status.get("externalId")
        if not known:
            return Removal(done="nothing was registered")
        session = ctx.connection_for_cleanup(ctx.brand_of(obj.key))
        connection = (await session.observe()).connections.get(known)
        actions = () if connection is None else (DeleteConnection(connection.user_id, connection.id),)
        return Removal(Observed(session), actions)
