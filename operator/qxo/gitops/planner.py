"""`qxo plan`: what applying the manifests would change in the live brand, through the operator's own code.

For each declared object this runs what the operator's converge would run up to the point of
writing: the shared observation (`BrandSession.observe`), `install.desired_from_spec` and
`install.plan`, `account.find` and `account.plan`, `grant.desired_access` and `grant.plan`.
Nothing is ever applied. A refusal is reported with the field it names, and the objects that
depend on a refused one are reported as blocked, as the operator would leave them waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from qxo.api.common import ManagementPolicy
from qxo.gitops.changes import (
    Names,
    ResourcePlan,
    access_changes,
    account_changes,
    install_changes,
    reach_changes,
)
from qxo.gitops.manifests import ACCOUNT, GRANT, INSTALL, Declared, DeclaredSet
from qxo.qualtrics.models import Account
from qxo.reconcile import account as accounts
from qxo.reconcile import grant as grants
from qxo.reconcile import install as installs
from qxo.reconcile.keys import external_id, is_paused
from qxo.reconcile.outcome import Refused
from qxo.reconcile.session import BrandSession, BrandState

NEW_ACCOUNT = "(new)"


@dataclass
class Plan:
    brand: dict[str, Any]
    resources: list[ResourcePlan] = field(default_factory=list)
    not_planned: list[dict[str, str]] = field(default_factory=list)  # SalesforceLinks: the brand is not all

    @property
    def failed(self) -> bool:
        return any(r.action == "refused" for r in self.resources)

    @property
    def changed(self) -> bool:
        return any(r.changes and r.applied and r.action in ("create", "update") for r in self.resources)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 2 if self.changed else 0

    def summary(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "unchanged": 0, "notApplied": 0, "refused": 0, "blocked": 0}
        for r in self.resources:
            if r.action in ("create", "update") and not r.applied:
                counts["notApplied"] += 1
            else:
                counts[{"none": "unchanged"}.get(r.action, r.action)] += 1
        return counts

    def as_json(self) -> dict[str, Any]:
        return {"apiVersion": "qxo.dev/v1alpha1", "kind": "Plan", "brand": self.brand, "changed": self.changed,
                "exitCode": self.exit_code, "summary": self.summary(),
                "resources": [r.as_json() for r in self.resources], "notPlanned": self.not_planned}


def _refusal(plan: ResourcePlan, refused: Refused) -> ResourcePlan:
    field_path = refused.message.split(": ", 1)[0] if ": " in refused.message else ""
    plan.action, plan.changes = "refused", []
    plan.error = {"field": field_path, "reason": refused.reason, "message": refused.message}
    return plan


def _gate(plan: ResourcePlan, decl: Declared) -> ResourcePlan:
    """Mark changes the operator would only report (carry_out's gate), and name the resulting action."""
    if not plan.changes:
        plan.action = "none"
        return plan
    if is_paused(decl.doc.body):
        plan.applied, plan.note = False, "qxo.dev/paused is set: the operator would not apply this"
    elif decl.spec.management_policy is ManagementPolicy.OBSERVE_ONLY:
        plan.applied, plan.note = False, "managementPolicy ObserveOnly: reported as drift, never applied"
    return plan


class Planner:
    def __init__(self, session: BrandSession, state: BrandState, names: Names, declared: DeclaredSet,
                 brand: Declared) -> None:
        self.session, self.state, self.names, self.declared, self.brand = session, state, names, declared, brand
        self.outcomes: dict[tuple[str, str, str], ResourcePlan] = {}
        self.found_accounts: dict[tuple[str, str], Account | None] = {}

    def _blocked_by(self, plan: ResourcePlan, kind: str, decl: Declared, ref_field: str,
                    ref_name: str) -> Declared | None:
        """The referenced object, or None with `plan` marked refused (missing) or blocked (it cannot converge)."""
        target = self.declared.find(kind, decl.namespace, ref_name)
        if target is None:
            _refusal(plan, Refused("UnknownReference", f"{ref_field}: there is no {kind} {ref_name!r} in the "
                                                       f"manifests planned"))
            return None
        upstream = self.outcomes.get((kind, target.namespace, target.name))
        if upstream is not None and upstream.action in ("refused", "blocked"):
            plan.action, plan.note = "blocked", f"waits for {kind} {ref_name}, which cannot converge"
            return None
        if upstream is not None and upstream.action == "create" and not upstream.applied:
            # The operator waits for the dependency to be Ready, which a paused create never becomes.
            plan.action, plan.note = "blocked", f"waits for {kind} {ref_name}, which would not be created: " \
                                                f"{upstream.note}"
            return None
        return target

    async def plan_install(self, decl: Declared) -> ResourcePlan:
        plan = ResourcePlan(INSTALL, decl.namespace, decl.name)
        if decl.spec.brand_ref.name != self.brand.name or decl.namespace != self.brand.namespace:
            return _refusal(plan, Refused("UnknownReference", f"spec.brandRef.name: this plan is for QualtricsBrand "
                                                              f"{self.brand.name!r} only"))
        extension = self.state.extensions.get(decl.spec.extension_id)
        try:
            desired = await installs.desired_from_spec(self.session, decl.spec)
            actions = installs.plan(desired, extension)
        except Refused as refused:
            return _refusal(plan, refused)
        new = any(isinstance(a, installs.Install) for a in actions)
        plan.changes = [c for a in actions if not (new and isinstance(a, installs.PutDomains))
                        for c in install_changes(a, extension, self.names)]
        if new and extension is not None:
            # The seed: admins see the domains an extension can reach when they install it.
            plan.changes[1:1] = reach_changes(extension, desired.domains)
        plan.action = "create" if new else "update"
        return _gate(plan, decl)

    async def plan_account(self, decl: Declared) -> ResourcePlan:
        plan = ResourcePlan(ACCOUNT, decl.namespace, decl.name)
        spec = decl.spec
        install = self._blocked_by(plan, INSTALL, decl, "spec.installRef.name", spec.install_ref.name)
        if install is None:
            return plan
        extension_id = install.spec.extension_id
        known_id = external_id(decl.doc.body)
        try:
            account = accounts.find_for_adoption(self.state, extension_id, spec.display_name, known_id,
                                                 adopting=known_id is not None)
        except Refused as refused:
            return _refusal(plan, refused)
        self.found_accounts[(decl.namespace, decl.name)] = account
        secret = spec.credentials.secret_ref.name
        # Plan sees no Secret and no status: it takes the brand's credentials as current, so it plans
        # credentials only for an account to create (see docs/plan-and-export.md).
        version = accounts.SecretVersion(secret, "")
        actions = accounts.plan(extension_id=extension_id, name=spec.display_name,
                                credentials=accounts.Credentials(version, {}), account=account, applied=version,
                                uid=decl.doc.metadata.get("uid") or "", previous_id=None)
        keys = list(spec.credentials.keys) if spec.credentials.keys else None
        current = account.name if account is not None else None
        plan.changes = [c for a in actions for c in account_changes(a, current, secret, keys)]
        plan.action = "create" if account is None else "update"
        return _gate(plan, decl)

    async def plan_grant(self, decl: Declared) -> ResourcePlan:
        plan = ResourcePlan(GRANT, decl.namespace, decl.name)
        target = self._blocked_by(plan, ACCOUNT, decl, "spec.accountRef.name", decl.spec.account_ref.name)
        if target is None:
            return plan
        account = self.found_accounts.get((target.namespace, target.name)) or self._new_account(target)
        try:
            desired = await grants.desired_access(self.session, decl.spec)
            member_of = frozenset() if account.id == NEW_ACCOUNT else \
                await grants.operator_groups(self.session, account, desired)
            actions = grants.plan(desired, account, self.session.identity, member_of)
        except Refused as refused:
            return _refusal(plan, refused)
        plan.changes = [c for a in actions for c in access_changes(a, self.names)]
        plan.action = "create" if account.id == NEW_ACCOUNT else "update"
        return _gate(plan, decl)

    def _new_account(self, decl: Declared) -> Account:
        """The account the operator would create: its identity is the creator, and no one has access yet."""
        now = datetime.now(UTC)
        return Account(id=NEW_ACCOUNT, extension_id="", name=decl.spec.display_name,
                       creator_id=self.session.identity.user_id, created_at=now, updated_at=now,
                       credentials_updated_at=now)

    async def run(self) -> list[ResourcePlan]:
        for kind, pool, plan_one in ((INSTALL, self.declared.installs, self.plan_install),
                                     (ACCOUNT, self.declared.accounts, self.plan_account),
                                     (GRANT, self.declared.grants, self.plan_grant)):
            for decl in sorted(pool, key=lambda d: (d.namespace, d.name)):
                self.outcomes[(kind, decl.namespace, decl.name)] = await plan_one(decl)
        return list(self.outcomes.values())


async def load_names(session: BrandSession) -> Names:
    users = await session.client.users()  # also fills the cache desired_from_spec resolves names with
    groups = await session.groups()
    return Names(users={u.id: u.username for u in users}, groups={g.id: g.name for g in groups})


async def plan_brand(session: BrandSession, declared: DeclaredSet, brand: Declared) -> Plan:
    state = await session.observe()
    names = await load_names(session)
    resources = await Planner(session, state, names, declared, brand).run()
    info = {"namespace": brand.namespace, "name": brand.name, "brandId": brand.spec.brand_id,
            "url": session.client.config.root_url, "identity": session.identity.user_name}
    skipped = [{"kind": d.kind, "namespace": d.namespace, "name": d.name}
               for d in sorted(declared.others, key=lambda d: (d.kind, d.namespace, d.name))]
    return Plan(info, resources, skipped)
