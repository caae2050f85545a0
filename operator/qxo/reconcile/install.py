"""ExtensionInstall: install or uninstall one extension, its allowed domains and who it is enabled for.

Of the installs declaring one extension in one brand, the oldest manages it (its claim); the others
are refused naming it, so two never take turns writing the extension's domains and enablement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qxo.api.brand import QualtricsBrand
from qxo.api.cluster_brand import ClusterQualtricsBrand
from qxo.api.install import ExtensionInstallSpec
from qxo.api.suffixes import wildcard_reach_problem
from qxo.qualtrics.models import Enablement, Extension
from qxo.reconcile import people
from qxo.reconcile.conditions import State
from qxo.reconcile.keys import ObjectKey, generation
from qxo.reconcile.protocol import Context, Object, Outcome, Refused, Removal
from qxo.reconcile.session import BrandSession, Slice


@dataclass(frozen=True)
class DesiredInstall:
    extension_id: str
    terms_accepted: bool
    preview_opt_in: bool
    domains: frozenset[str] | None          # None: leave the extension's domains alone
    enablement: Enablement | None           # ids, resolved; None: leave enablement alone
    declared_domains: tuple[str, ...] = ()  # spec.domains in its order, to name the one refused by its index


@dataclass(frozen=True)
class Install:
    extension_id: str
    accept_terms: bool
    preview_opt_in: bool

    def describe(self) -> str:
        return f"installed extension {self.extension_id}"


@dataclass(frozen=True)
class PutDomains:
    extension_id: str
    domains: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]

    def describe(self) -> str:
        parts = [f"+{d}" for d in self.added] + [f"-{d}" for d in self.removed]
        return f"set the domains of {self.extension_id}: {' '.join(parts) or 'none'}"


@dataclass(frozen=True)
class PutEnablement:
    extension_id: str
    enablement: Enablement

    def describe(self) -> str:
        e = self.enablement
        who = "all users" if e.all_users else f"{len(e.users)} users and {len(e.groups)} groups"
        return f"enabled {self.extension_id} for {who}"


@dataclass(frozen=True)
class Uninstall:
    extension_id: str

    def describe(self) -> str:
        return f"uninstalled extension {self.extension_id}, revoking access for every user"


Action = Install | PutDomains | PutEnablement | Uninstall


def _same_enablement(a: Enablement | None, b: Enablement | None) -> bool:
    a = a or Enablement()
    b = b or Enablement()
    return (a.all_users, set(a.users), set(a.groups)) == (b.all_users, set(b.users), set(b.groups))


def check_allowed(desired: DesiredInstall, extension: Extension | None) -> None:
    """The seed's rules that need the catalog; raising before any write keeps the brand untouched."""
    if extension is None:
        raise Refused("UnknownExtension",
                      f"spec.extensionId: the brand's catalog has no extension {desired.extension_id!r} "
                      "(it may not be in your licence)")
    if not extension.first_party and not desired.terms_accepted:
        raise Refused("TermsNotAccepted",
                      f"spec.termsAccepted: {extension.name} is a third-party extension by {extension.publisher}; "
                      f"review its privacy policy ({extension.privacy_policy_url}) and terms of use "
                      f"({extension.terms_url}), then set termsAccepted: true")
    if extension.preview and not desired.preview_opt_in:
        raise Refused("PreviewNotOptedIn",
                      f"spec.previewOptIn: {extension.name} is marked Preview (not certified by Qualtrics); "
                      "set previewOptIn: true to install it")
    current = _current_domains(extension)
    if desired.domains is not None and desired.domains != current and not extension.domains_editable:
        raise Refused("DomainsNotEditable",
                      f"spec.domains: {extension.name} does not allow domain edits; remove spec.domains "
                      f"or declare exactly its domains: {sorted(current) or 'none'}")
    if desired.domains is not None and desired.domains != current:
        for i, domain in enumerate(desired.declared_domains or sorted(desired.domains)):
            if problem := wildcard_reach_problem(domain):
                raise Refused("WildcardOverPublicSuffix", f"spec.domains[{i}]: {domain}: {problem}")


def _current_domains(extension: Extension) -> frozenset[str]:
    domains = extension.domains if extension.installed and extension.domains is not None else extension.default_domains
    return frozenset(domains or ())


def plan(desired: DesiredInstall, extension: Extension | None) -> tuple[Action, ...]:
    """The writes that bring `extension` to `desired`; raises Refused when the seed's rules forbid it."""
    check_allowed(desired, extension)
    assert extension is not None
    actions: list[Action] = []
    if not extension.installed:
        actions.append(Install(desired.extension_id, desired.terms_accepted and not extension.first_party,
                               desired.preview_opt_in and extension.preview))
    current = _current_domains(extension)
    if desired.domains is not None and desired.domains != current:
        actions.append(PutDomains(desired.extension_id, tuple(sorted(desired.domains)),
                                  tuple(sorted(desired.domains - current)), tuple(sorted(current - desired.domains))))
    current_enablement = extension.enablement if extension.installed else None
    if desired.enablement is not None and not _same_enablement(desired.enablement, current_enablement):
        actions.append(PutEnablement(desired.extension_id, desired.enablement))
    return tuple(actions)


def plan_removal(extension: Extension | None) -> tuple[Action, ...]:
    if extension is None or not extension.installed:
        return ()
    return (Uninstall(extension.id),)


def enablement_parts(generation: int, extension: Extension) -> tuple[str, ...]:
    """What an enablement seal covers: who the extension is enabled for, as the install left it, and the spec's
    generation."""
    enablement = extension.enablement or Enablement()
    return ("enablement", str(generation), extension.id, f"allUsers={enablement.all_users}",
            *sorted(f"user:{u}" for u in enablement.users), *sorted(f"group:{g}" for g in enablement.groups))


def left_as_sealed(obj: Object, session: BrandSession, extension: Extension | None) -> Enablement | None:
    """The extension's enablement when it is what this install left at this generation, as its sealed status says:
    then the names in spec.enablement are not resolved again (after a restart, no user or group is read)."""
    if extension is None or not extension.installed or obj.status.get("observedGeneration") != generation(obj.body):
        return None
    if not session.sealed(obj.status.get("enablementSeal"), *enablement_parts(generation(obj.body), extension)):
        return None
    return extension.enablement or Enablement()


async def desired_from_spec(session: BrandSession, spec: Any, enablement: Enablement | None = None) -> DesiredInstall:
    """Resolve usernames and group names to brand ids; an unknown one is refused naming its field. With
    `enablement`, spec.enablement is known to mean it (`left_as_sealed`)."""
    if spec.enablement is not None and enablement is None:
        users = list(spec.enablement.users or ())
        groups = list(spec.enablement.groups or ())
        user_ids = await people.user_ids(session, users, lambda i: f"spec.enablement.users[{i}]")
        people.refuse_same_user_twice("spec.enablement.users", users, user_ids)
        group_ids = await people.group_ids(session, groups, lambda i: f"spec.enablement.groups[{i}]")
        enablement = Enablement(all_users=bool(spec.enablement.all_users),
                                users=tuple(user_ids[u] for u in users), groups=tuple(group_ids[g] for g in groups))
    return DesiredInstall(
        extension_id=spec.extension_id,
        terms_accepted=bool(spec.terms_accepted),
        preview_opt_in=bool(spec.preview_opt_in),
        domains=None if spec.domains is None else frozenset(spec.domains),
        declared_domains=tuple(spec.domains or ()),
        enablement=enablement,
    )


async def apply(session: BrandSession, action: Action) -> None:
    """Carry out one action and fold its result into the shared observation."""
    client = session.client

    def fold(**update: Any) -> None:
        # the observation as it is once the write has landed (another may have replaced it meanwhile)
        extension = session.state.extensions.get(action.extension_id)
        if extension is not None:
            session.fold("extensions", extension.id, extension.model_copy(update=update))

    if isinstance(action, Install):
        installation = await client.install(action.extension_id, accept_terms=action.accept_terms,
                                            preview_opt_in=action.preview_opt_in)
        extension = session.state.extensions.get(action.extension_id)
        fold(installed=True, installation=installation, enablement=Enablement(),
             domains=extension.default_domains if extension is not None else ())
    elif isinstance(action, PutDomains):
        fold(domains=tuple(await client.put_domains(action.extension_id, action.domains)))
    elif isinstance(action, PutEnablement):
        fold(enablement=await client.put_enablement(action.extension_id, action.enablement))
    elif isinstance(action, Uninstall):
        await client.uninstall(action.extension_id)
        # Uninstalling revokes access and may remove accounts: observe afresh rather than guess.
        session.invalidate()


def status_of(extension: Extension | None) -> dict[str, Any]:
    if extension is None:
        return {"installed": False}
    status: dict[str, Any] = {
        "installed": extension.installed,
        "firstParty": extension.first_party,
        "preview": extension.preview,
        "publisher": extension.publisher,
    }
    if extension.installed:
        status["domains"] = sorted(_current_domains(extension))
        terms = extension.installation.terms_acceptance if extension.installation else None
        if terms is not None:
            status["termsAcceptedBy"] = terms.accepted_by
            status["termsAcceptedAt"] = terms.accepted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return status


def brand_key(key: ObjectKey, brand_ref: Mapping[str, Any]) -> ObjectKey | None:
    """The brand a `brandRef` names: a QualtricsBrand beside `key`, or a (cluster-scoped) ClusterQualtricsBrand."""
    name, kind = brand_ref.get("name"), brand_ref.get("kind") or QualtricsBrand.KIND
    if not isinstance(name, str) or not name:
        return None
    return ObjectKey(kind, "", name) if kind == ClusterQualtricsBrand.KIND else key.sibling(kind, name)


def extension_claim(key: ObjectKey, body: Mapping[str, Any]) -> tuple[ObjectKey, str] | None:
    """The (brand, extension id) an install manages: one install per extension and brand, and so, on a
    ClusterQualtricsBrand, one in the whole cluster."""
    spec = body.get("spec") or {}
    brand, extension_id = brand_key(key, spec.get("brandRef") or {}), spec.get("extensionId")
    if brand is None or not isinstance(extension_id, str):
        return None
    return brand, extension_id


@dataclass
class Observed:
    session: BrandSession
    extension: Extension | None
    desired: DesiredInstall | None = None


class InstallReconciler:
    def _refuse_if_not_holder(self, ctx: Context, obj: Object, spec: ExtensionInstallSpec) -> None:
        claim = extension_claim(obj.key, obj.body)
        holder = ctx.holder(obj, claim)
        if holder != obj.key:
            where = f"{holder.namespace}/{holder.name}" if holder.namespace != obj.key.namespace else holder.name
            advice = "attach accounts to it with brandRef and extensionId" if spec.brand_ref.cluster \
                else "merge the two"
            raise Refused("DuplicateInstall", f"spec.extensionId: ExtensionInstall {where} already manages "
                                              f"{spec.extension_id} in {spec.brand_ref.kind} {spec.brand_ref.name}; "
                                              f"{advice}")

    async def observe(self, ctx: Context, obj: Object) -> Observed:
        spec: ExtensionInstallSpec = obj.spec
        ctx.judge(obj)  # a namespace the brand or a policy refuses is told so before anything else
        self._refuse_if_not_holder(ctx, obj, spec)
        session = ctx.session_for(obj.key)
        state = await session.observe()
        extension = state.extensions.get(spec.extension_id)
        sealed = left_as_sealed(obj, session, extension) if spec.enablement is not None else None
        return Observed(session, extension, await desired_from_spec(session, spec, sealed))

    def plan(self, obj: Object, observed: Observed) -> tuple[Action, ...]:
        return plan(observed.desired, observed.extension)

    async def apply(self, ctx: Context, observed: Observed, action: Action) -> None:
        await apply(observed.session, action)

    def status(self, ctx: Context, obj: Object, observed: Observed, outcome: Outcome) -> None:
        session = observed.session
        extension = session.state.extensions.get(obj.spec.extension_id)
        outcome.status = status_of(extension)
        if obj.spec.enablement is not None and extension is not None and extension.installed \
                and outcome.state is State.READY:
            outcome.status["enablementSeal"] = session.seal(*enablement_parts(generation(obj.body), extension))
        outcome.rests_on = Slice("extensions", obj.spec.extension_id, ("installed", "domains", "enablement"))

    async def finalize(self, ctx: Context, obj: Object) -> Removal:
        spec: ExtensionInstallSpec = obj.spec
        holder = ctx.holder(obj, extension_claim(obj.key, obj.body))
        if holder != obj.key:
            return Removal(done=f"left installed: ExtensionInstall {holder.name} manages it")
        session = ctx.connection_for_cleanup(ctx.brand_of(obj.key))
        state = await session.observe()
        extension = state.extensions.get(spec.extension_id)
        return Removal(Observed(session, extension), plan_removal(extension))
