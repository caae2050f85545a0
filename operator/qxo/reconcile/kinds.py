"""Per kind, how converge and finalize compose observe, plan and apply with the shared runtime.

Each function reads the spec through the pydantic model, finds its brand session (or waits for
it), observes through the shared observation, plans purely, and leaves writing to
`carry_out`, which honours pause and ObserveOnly in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from qxo.api.account import ExtensionAccountSpec
from qxo.api.brand import QualtricsBrandSpec
from qxo.api.common import DeletionPolicy, ManagementPolicy
from qxo.api.grant import AccountGrantSpec
from qxo.api.install import ExtensionInstallSpec
from qxo.api.salesforce import SalesforceLinkSpec
from qxo.qualtrics import errors
from qxo.reconcile import account as accounts
from qxo.reconcile import brand as brands
from qxo.reconcile import grant as grants
from qxo.reconcile import install as installs
from qxo.reconcile import link as links
from qxo.reconcile.conditions import Condition, State, Verdict
from qxo.reconcile.keys import (
    ACCOUNT,
    BRAND,
    GRANT,
    INSTALL,
    LINK,
    ObjectKey,
    external_id,
    is_paused,
    refresh_requested,
)
from qxo.reconcile.outcome import Outcome, Refused, Waiting
from qxo.reconcile.session import BrandSession
from qxo.reconcile.trust import read_secret

if TYPE_CHECKING:
    from qxo.reconcile.runtime import Runtime

resync_seconds = brands.resync_seconds


def _status(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return body.get("status") or {}


def brand_of(rt: Runtime, key: ObjectKey) -> ObjectKey | None:
    """Follow the references up to the QualtricsBrand, through the bodies the watch has shown us."""
    for _ in range(4):
        if key.kind == BRAND:
            return key
        body = rt.index.body(key)
        if body is None:
            return None
        spec = body.get("spec") or {}
        if key.kind == INSTALL or "brandRef" in spec:
            key = key.sibling(BRAND, (spec.get("brandRef") or {}).get("name", ""))
        elif key.kind == ACCOUNT:
            key = key.sibling(INSTALL, (spec.get("installRef") or {}).get("name", ""))
        elif key.kind == GRANT:
            key = key.sibling(ACCOUNT, (spec.get("accountRef") or {}).get("name", ""))
        else:
            return None
    return None


def _ready_dependency(rt: Runtime, key: ObjectKey, reason: str) -> Mapping[str, Any]:
    body = rt.index.body(key)
    if body is None or not rt.ready(key):
        raise Waiting(reason, f"{key.kind} {key.name} is not Ready yet", dependency=key)
    return body


async def carry_out(body: Mapping[str, Any], policy: ManagementPolicy, actions: Sequence[Any],
                    apply_one: Callable[[Any], Awaitable[Any]]) -> Outcome:
    """Apply the plan, or only report it when paused or ObserveOnly: the one place writes are gated."""
    if not actions:
        return Outcome.ready()
    pending = [action.describe() for action in actions]
    if is_paused(body):
        return Outcome(Verdict(State.PAUSED, "Paused", "qxo.dev/paused is set; pending: " + "; ".join(pending)),
                       drift=pending)
    if policy is ManagementPolicy.OBSERVE_ONLY:
        return Outcome(Verdict(State.DRIFTED, "DriftDetected",
                               "ObserveOnly: the brand differs from the spec: " + "; ".join(pending)), drift=pending)
    changes = []
    for action in actions:
        await apply_one(action)
        changes.append(action.describe())
    return Outcome.ready(changes=changes)


# -- QualtricsBrand -------------------------------------------------------------------------------

async def converge_brand(rt: Runtime, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    spec = QualtricsBrandSpec.model_validate(body.get("spec") or {})
    session = await brands.connect(rt, key, spec)
    requested = refresh_requested(body)
    if requested != session.refresh_seen:
        session.refresh_seen = requested
        session.invalidate()
    try:
        state = await session.observe(max_age=brands.resync_seconds(body))
    except errors.EndpointRefused as refused:  # a redirect, or a page link elsewhere: the brand's own field
        raise Refused(refused.reason, f"{brands.endpoint_of(spec)[0]}: {refused.message}") from None
    status = brands.status_of(session, state)
    return Outcome.ready(f"connected as {session.identity.user_name}", status=status)


def _users_of_brand(rt: Runtime, key: ObjectKey) -> list[str]:
    """The objects whose finalizers may still need this brand's connection.

    Those that lead to it, and those in its namespace that made something in a brand but no longer
    lead anywhere: an account or a grant whose install was deleted first still has to check, through
    a connected brand, that its account went with the uninstall.
    """
    users = []
    for kind in (INSTALL, ACCOUNT, GRANT, LINK):
        for other in rt.index.keys(kind):
            if other.namespace != key.namespace:
                continue
            leads_to = brand_of(rt, other)
            if leads_to == key or (leads_to is None and _status(rt.index.body(other) or {}).get("externalId")):
                users.append(str(other))
    return sorted(users)


async def finalize_brand(rt: Runtime, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    remaining = _users_of_brand(rt, key)
    if remaining:
        # Dependents need this connection to clean up after themselves: go last, and connect if no
        # session is held (an operator restarted after the deletion began never converged the brand).
        if key not in rt.sessions:
            try:
                await brands.connect(rt, key, QualtricsBrandSpec.model_validate(body.get("spec") or {}))
            except Refused as refused:  # going now would strand the dependents: keep waiting, say why
                raise Waiting(refused.reason, refused.message) from None
        raise Waiting("WaitingForDependents",
                      f"{len(remaining)} objects still use this brand: {', '.join(remaining[:5])}")
    await rt.replace_session(key, None)
    return Outcome.ready("disconnected")


# -- ExtensionInstall -----------------------------------------------------------------------------

def _install_owner(rt: Runtime, key: ObjectKey, brand_key: ObjectKey, extension_id: str) -> ObjectKey:
    """The ExtensionInstall that manages `extension_id` in a brand: of those declaring it, the oldest.

    Two would otherwise take turns writing their domains and enablement into one extension.
    """
    return rt.index.oldest(key, rt.index.installs_of(brand_key, extension_id))


async def converge_install(rt: Runtime, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    spec = ExtensionInstallSpec.model_validate(body.get("spec") or {})
    brand_key = key.sibling(BRAND, spec.brand_ref.name)
    owner = _install_owner(rt, key, brand_key, spec.extension_id)
    if owner != key:
        raise Refused("DuplicateInstall", f"spec.extensionId: ExtensionInstall {owner.name} already manages "
                                          f"{spec.extension_id} in QualtricsBrand {brand_key.name}; merge the two")
    session = rt.session_for(brand_key)
    state = await session.observe()
    desired = await installs.desired_from_spec(session, spec)
    actions = installs.plan(desired, state.extensions.get(spec.extension_id))
    outcome = await carry_out(body, spec.management_policy, actions, lambda a: installs.apply(session, a))
    outcome.status = installs.status_of(session.state.extensions.get(spec.extension_id))
    return outcome


async def finalize_install(rt: Runtime, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    spec = ExtensionInstallSpec.model_validate(body.get("spec") or {})
    if spec.deletion_policy is DeletionPolicy.ORPHAN or spec.management_policy is ManagementPolicy.OBSERVE_ONLY:
        return Outcome.ready("left installed (Orphan)")
    brand_key = key.sibling(BRAND, spec.brand_ref.name)
    owner = _install_owner(rt, key, brand_key, spec.extension_id)
    if owner != key:
        return Outcome.ready(f"left installed: ExtensionInstall {owner.name} manages it")
    session = rt.connection_for_cleanup(brand_key)
    state = await session.observe()
    actions = installs.plan_removal(state.extensions.get(spec.extension_id))
    return await carry_out(body, spec.management_policy, actions, lambda a: installs.apply(session, a))


# -- ExtensionAccount -----------------------------------------------------------------------------

def _known_account_id(body: Mapping[str, Any]) -> str | None:
    return external_id(body) or _status(body).get("externalId")


def _applied(body: Mapping[str, Any]) -> accounts.SecretVersion | None:
    applied = _status(body).get("appliedSecret") or {}
    if applied.get("name") and applied.get("resourceVersion"):
        stamp = applied.get("credentialsUpdatedAt")
        return accounts.SecretVersion(applied["name"], str(applied["resourceVersion"]),
                                      datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None)
    return None


async def _credentials(rt: Runtime, key: ObjectKey, spec: ExtensionAccountSpec) -> accounts.Credentials:
    secret = await read_secret(rt, key.namespace, "spec.credentials.secretRef", spec.credentials.secret_ref.name)
    wanted = list(spec.credentials.keys or secret.values)
    for i, name in enumerate(wanted):
        if name not in secret.values:
            raise Refused("SecretKeyMissing", f"spec.credentials.keys[{i}]: Secret {secret.name} has no key {name!r}")
        if not secret.values[name]:
            # An exported placeholder nobody filled in must never blank real credentials in the brand.
            raise Refused("EmptyCredential", f"spec.credentials.secretRef: Secret {secret.name} has an empty "
                                             f"value for key {name!r}")
    return accounts.Credentials(accounts.SecretVersion(secret.name, secret.resource_version),
                                {name: secret.values[name] for name in wanted})


async def converge_account(rt: Runtime, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    spec = ExtensionAccountSpec.model_validate(body.get("spec") or {})
    install = _ready_dependency(rt, key.sibling(INSTALL, spec.install_ref.name), "WaitingForInstall")
    extension_id = install["spec"]["extensionId"]
    session = rt.session_for(key.sibling(BRAND, install["spec"]["brandRef"]["name"]))
    state = await session.observe()
    seen = session.observations
    known_id = _known_account_id(body)
    if known_id and known_id not in state.accounts:
        state = await session.observe_again(seen)  # added since we last looked, or really gone?
    account = accounts.find_for_adoption(state.accounts, extension_id, spec.display_name, known_id,
                                         adopting=external_id(body) is not None)
    applied = _applied(body)
    remembered = rt.applied_secrets.get(key)
    if remembered is not None:
        # Our own last write is newer than a body whose status the watch has not delivered yet:
        # planning from the stale status would send the same credentials again.
        applied = remembered
    secret_name = spec.credentials.secret_ref.name
    cached_version = rt.secret_version(key.namespace, secret_name)
    needs_values = account is None or applied is None or applied != accounts.SecretVersion(
        secret_name, cached_version or "") or accounts.changed_outside(account, applied) is not None
    credentials = await _credentials(rt, key, spec) if needs_values else accounts.Credentials(applied, {})
    actions = accounts.plan(extension_id=extension_id, name=spec.display_name, credentials=credentials,
                            account=account, applied=applied, uid=(body.get("metadata") or {}).get("uid", ""),
                            previous_id=known_id if account is None else None)
    result: dict[str, Any] = {"account": account}

    async def apply_one(action: Any) -> None:
        result["account"] = await accounts.apply(session, action)
        if isinstance(action, accounts.SENDS_CREDENTIALS):
            result["applied"] = action.credentials.version.stamped(result["account"])

    outcome = await carry_out(body, spec.management_policy, actions, apply_one)
    if "applied" not in result and applied is not None and applied.brand_stamp is None \
            and outcome.state is State.READY and result["account"] is not None:
        result["applied"] = applied.stamped(result["account"])  # a status from before the stamp: start from now
    if "applied" in result:
        rt.applied_secrets[key] = result["applied"]
    new_applied = result.get("applied", applied)
    outcome.status = accounts.status_of(result["account"], new_applied)
    outcome.rotations = sum(1 for a in actions if isinstance(a, accounts.RotateCredentials)) \
        if outcome.state is State.READY else 0
    if any(isinstance(a, accounts.SENDS_CREDENTIALS) for a in actions) and outcome.state is State.READY:
        outcome.status["lastRotationTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return outcome


def _session_holding_account(rt: Runtime, account_id: str) -> BrandSession | None:
    return next((s for s in rt.sessions.values() if account_id in s.state.accounts), None)


async def _session_for_cleanup(rt: Runtime, key: ObjectKey, account_id: str) -> BrandSession | None:
    """The brand session holding `account_id` for a finalizer, or None when no brand has it any more.

    The chain to the brand may be gone (its ExtensionInstall deleted first, whose uninstall also
    removed the account), so look the account up in every connected brand, observed afresh.
    """
    brand_key = brand_of(rt, key)
    if brand_key is not None:
        return rt.connection_for_cleanup(brand_key)
    holder = _session_holding_account(rt, account_id)
    if holder is None:
        if not rt.sessions:
            raise Waiting("WaitingForBrand", "no brand is connected to check whether the account is gone")
        for session in list(rt.sessions.values()):
            await session.observe_again(session.observations)
        holder = _session_holding_account(rt, account_id)
    return holder


async def finalize_account(rt: Runtime, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    spec = ExtensionAccountSpec.model_validate(body.get("spec") or {})
    account_id = _known_account_id(body)
    if spec.deletion_policy is DeletionPolicy.ORPHAN or account_id is None \
            or spec.management_policy is ManagementPolicy.OBSERVE_ONLY:
        return Outcome.ready("account left in the brand" if account_id else "nothing was created")
    session = await _session_for_cleanup(rt, key, account_id)
    if session is None:
        return Outcome.ready("the account is already gone from the brand")
    state = await session.observe()
    actions = accounts.plan_removal(state.accounts.get(account_id))
    return await carry_out(body, spec.management_policy, actions, lambda a: accounts.apply(session, a))


# -- AccountGrant ---------------------------------------------------------------------------------

def _check_single_grant(rt: Runtime, key: ObjectKey, account_key: ObjectKey) -> None:
    """One AccountGrant per account: the oldest wins, the others say which one they lose to."""
    holder = rt.index.oldest(key, (k for k in rt.index.dependents(account_key) if k.kind == GRANT))
    if holder != key:
        raise Refused("ConflictingGrant", f"spec.accountRef: AccountGrant {holder.name} already declares who may "
                                          f"use {account_key.name}; merge the two into one")


async def converge_grant(rt: Runtime, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    spec = AccountGrantSpec.model_validate(body.get("spec") or {})
    account_key = key.sibling(ACCOUNT, spec.account_ref.name)
    _check_single_grant(rt, key, account_key)
    _ready_dependency(rt, account_key, "WaitingForAccount")
    account_id = rt.status_of(account_key).get("externalId")
    brand_key = brand_of(rt, account_key)
    if not account_id or brand_key is None:
        raise Waiting("WaitingForAccount", f"ExtensionAccount {account_key.name} has no account in the brand yet")
    session = rt.session_for(brand_key)
    state = await session.observe()
    seen = session.observations
    if account_id not in state.accounts:
        state = await session.observe_again(seen)
    account = state.accounts.get(account_id)
    if account is None:
        # Gone from the brand: the ExtensionAccount re-creates it, and its new status wakes us.
        raise Waiting("WaitingForAccount", f"account {account_id} is not in the brand")
    desired = await grants.desired_access(session, spec)
    member_of = await grants.operator_groups(session, account, desired)
    actions = grants.plan(desired, account, session.identity, member_of)
    outcome = await carry_out(body, spec.management_policy, actions, lambda a: grants.apply(session, a))
    kept = grants.keeps_own_access(desired, account, session.identity, member_of)
    outcome.status = grants.status_of(session.state.accounts.get(account_id),
                                      session.identity.user_name if kept else None)
    if kept and outcome.state is State.READY:
        outcome.verdict = Verdict(State.READY, outcome.verdict.reason, f"{outcome.verdict.message}; kept Owner "
                                  f"access for the operator's identity {session.identity.user_name}, which qxo never "
                                  "removes from an account it did not create")
    return outcome


async def finalize_grant(rt: Runtime, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    spec = AccountGrantSpec.model_validate(body.get("spec") or {})
    account_id = _status(body).get("externalId")
    if spec.deletion_policy is DeletionPolicy.ORPHAN or not account_id \
            or spec.management_policy is ManagementPolicy.OBSERVE_ONLY:
        return Outcome.ready("access left as it is")
    session = await _session_for_cleanup(rt, key, account_id)
    if session is None:
        return Outcome.ready("the account is already gone from the brand, and its access with it")
    state = await session.observe()
    account = state.accounts.get(account_id)
    member_of = await grants.operator_groups(session, account, None) if account is not None else frozenset()
    actions = grants.plan_removal(account, session.identity, member_of)
    return await carry_out(body, spec.management_policy, actions, lambda a: grants.apply(session, a))


# -- SalesforceLink -------------------------------------------------------------------------------

async def _owner_id(session: BrandSession, owner: str) -> str:
    ids = await session.resolve_users([owner])
    if owner not in ids:
        raise Refused("UnknownUser", f"spec.owner: the brand has no user {owner!r}")
    return ids[owner]


def _check_single_link(rt: Runtime, key: ObjectKey, owner: str, org_id: str) -> None:
    """One SalesforceLink per owner and org (the brand keeps one connection per pair): the oldest wins."""
    index = rt.index
    holder = index.oldest(key, (k for k in index.keys(LINK) if k.namespace == key.namespace
                                and index.part(k, "spec").get("owner") == owner
                                and index.part(k, "status").get("orgId") == org_id))
    if holder != key:
        raise Refused("DuplicateLink", f"spec.owner: SalesforceLink {holder.name} already links {owner} to "
                                       f"Salesforce org {org_id}; a user has one connection per org")


async def converge_link(rt: Runtime, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    spec = SalesforceLinkSpec.model_validate(body.get("spec") or {})
    # Its own endpoint and Secrets first: a refusal there names its field whether or not the brand is Ready.
    link = await links.link_session(rt, key, spec)
    session = rt.session_for(key.sibling(BRAND, spec.brand_ref.name))
    owner_id = await _owner_id(session, spec.owner)
    try:
        link, token, status = await links.authenticate_and_check(rt, key, body, spec, link)
    except links.LinkRefused as refused:
        return links.refusal_outcome(refused)
    except links.LinkRetry as busy:
        return Outcome.retrying(busy.reason, busy.message)
    authenticated = Condition("Authenticated", "True", "TokenRefreshed", f"access token valid until "
                                                                         f"{status['tokenExpiresAt']}")
    refusal, preflight = links.judge_preflight(link.checks, spec.preflight.require_verified)
    if refusal is not None:
        refusal.status, refusal.extra_conditions = status, [authenticated, preflight]
        return refusal
    _check_single_link(rt, key, spec.owner, token.organization_id)
    state = await session.observe()
    known = _status(body).get("externalId")
    recorded = state.connections.get(known) if known else None
    # The natural key of a connection is (owner, org): the brand allows one per pair, so adopt it.
    existing = recorded if recorded is not None and recorded.user_id == owner_id else next(
        (c for c in state.connections.values() if c.user_id == owner_id and c.org_id == token.organization_id),
        None)
    previous = recorded if recorded is not None and recorded.user_id != owner_id else None
    applied = link.fingerprint[1:3]
    recorded_versions = _status(body).get("appliedCredentials")
    last_sent = rt.link_credentials.get(key) or (tuple(recorded_versions.split("/", 1)) if recorded_versions else None)
    credentials_changed = existing is not None and last_sent != applied
    actions = links.plan_connection(
        name=key.name, owner=spec.owner, owner_id=owner_id, environment=str(spec.environment),
        instance_url=token.instance_url, org_id=token.organization_id, existing=existing, previous=previous,
        credentials=link.credentials, credentials_changed=credentials_changed,
        request_id=accounts.create_request_id((body.get("metadata") or {}).get("uid", ""), f"{owner_id}/{known}"),
        delete_previous=spec.deletion_policy is DeletionPolicy.DELETE)
    result: dict[str, Any] = {"connection": existing}

    async def apply_one(action: Any) -> None:
        done = await links.apply_connection(session, action)
        if not isinstance(action, links.DeleteConnection):
            result["connection"] = done

    try:
        outcome = await carry_out(body, spec.management_policy, actions, apply_one)
    except errors.Conflict as conflict:
        if conflict.error_code == "SALESFORCE_CONNECTION_LIMIT":
            # No Qualtrics page states a limit; a brand that has one says so, and waiting will not change it.
            raise Refused("SalesforceConnectionLimit", f"spec.owner: the brand refuses another Salesforce connection "
                                                       f"for {spec.owner}: {conflict.message}") from None
        raise
    if outcome.state is State.READY:
        rt.link_credentials[key] = applied
        status["appliedCredentials"] = "/".join(applied)
    if result["connection"] is not None:
        status["externalId"] = result["connection"].id
    outcome.status = status
    outcome.extra_conditions = [authenticated, preflight]
    return outcome


async def finalize_link(rt: Runtime, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    spec = SalesforceLinkSpec.model_validate(body.get("spec") or {})
    link = rt.links.pop(key, None)
    if link is not None:
        link.close()
        rt.sweep_ca_files()
    rt.link_credentials.pop(key, None)
    known = _status(body).get("externalId")
    if spec.deletion_policy is DeletionPolicy.ORPHAN or not known \
            or spec.management_policy is ManagementPolicy.OBSERVE_ONLY:
        return Outcome.ready("connection left in the brand" if known else "nothing was registered")
    session = rt.connection_for_cleanup(key.sibling(BRAND, spec.brand_ref.name))
    state = await session.observe()
    connection = state.connections.get(known)
    actions = () if connection is None else (links.DeleteConnection(connection.user_id, connection.id),)
    return await carry_out(body, spec.management_policy, actions, lambda a: links.apply_connection(session, a))


# -- dispatch -------------------------------------------------------------------------------------

_CONVERGE = {BRAND: converge_brand, INSTALL: converge_install, ACCOUNT: converge_account, GRANT: converge_grant,
             LINK: converge_link}
_FINALIZE = {BRAND: finalize_brand, INSTALL: finalize_install, ACCOUNT: finalize_account, GRANT: finalize_grant,
             LINK: finalize_link}


async def converge(rt: Runtime, kind: str, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    return await _CONVERGE[kind](rt, key, body)


async def finalize(rt: Runtime, kind: str, key: ObjectKey, body: Mapping[str, Any]) -> Outcome:
    return await _FINALIZE[kind](rt, key, body)
