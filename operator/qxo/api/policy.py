"""The tenancy rules as verdicts: what an ExtensionPolicy or a ClusterQualtricsBrand's selector says of one object.

Pure: no I/O, no clock, no Kubernetes. The operator (its PolicyDenied backstop) and `qxo validate
--policy` call it with what they know; the ValidatingAdmissionPolicies in manifests/policy/ say the
same in CEL, rule for rule and word for word (qxo.api.admission_policy writes them, and the tests
compare the three). A verdict names the policy, the policy's field (the rule) and the object's field:

    ExtensionPolicy teams (spec.access.allUsers): spec.allUsers: access for all users may not be granted ...

Rules are checked in one order per kind, the order of the admission policy's validations, so the
first verdict is the one the API server would answer with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from qxo.api.account import ExtensionAccount
from qxo.api.cluster_brand import ClusterQualtricsBrand
from qxo.api.common import Resource
from qxo.api.extension_policy import Acceptor, ExtensionPolicy
from qxo.api.grant import Access, AccountGrant
from qxo.api.install import ExtensionInstall

# The words of each rule, shared with the admission policy's messageExpressions.
IDS = "extension {id} is not one this namespace may use ({ids})"
THIRD_PARTY = "third-party extensions may not be used in this namespace"
PREVIEW = "Preview extensions may not be used in this namespace"
TERMS = "third-party terms may be accepted only in the platform namespace"
PREVIEW_OPT_IN = "Preview opt-in may be given only in the platform namespace"
DOMAINS = "{domain} is not under a domain suffix this namespace may reach ({suffixes})"
MAX_ACCOUNTS = "namespace {namespace} may hold {limit} ExtensionAccounts; this is number {number}, oldest first"
ALL_USERS = "access for all users may not be granted in this namespace"
OWNER = "Owner access may not be granted in this namespace ({who})"
NOT_SELECTED = "namespace {namespace} may not use this brand"


@dataclass(frozen=True)
class Verdict:
    """One refusal: which policy, which of its rules, which field of the object, and why."""

    policy_kind: str
    policy: str
    rule: str
    field: str
    message: str

    def text(self) -> str:
        """`ExtensionPolicy teams (spec.access.allUsers): spec.allUsers: ...`: the same words in every place."""
        return f"{self.policy_kind} {self.policy} ({self.rule}): {self.field}: {self.message}"


class ExtensionFacts(Protocol):
    """What the catalog (the live one, or the offline snapshot) says of an extension."""

    @property
    def first_party(self) -> bool: ...

    preview: bool


@dataclass(frozen=True)
class Subject:
    """The object judged, with what its judge knows about it beyond its own spec.

    `extension_id` and `facts` are the extension an account belongs to (from the install it references,
    or its own spec.extensionId) and what the catalog says of it, when known; `account_number` is the
    account's place among its namespace's accounts, oldest first, from 1.
    """

    obj: Resource
    namespace: str
    labels: Mapping[str, str]
    extension_id: str | None = None
    facts: ExtensionFacts | None = None
    account_number: int | None = None


def policy_verdicts(policies: Iterable[ExtensionPolicy], subject: Subject) -> list[Verdict]:
    """Every verdict of every policy selecting the subject's namespace, policies by name."""
    verdicts: list[Verdict] = []
    for policy in sorted(policies, key=lambda p: p.metadata.name):
        if policy.spec.namespace_selector.selects(subject.labels):
            verdicts += _judge(policy, subject)
    return verdicts


def brand_verdict(brand: ClusterQualtricsBrand, namespace: str, labels: Mapping[str, str]) -> Verdict | None:
    """Refused when the brand's namespaceSelector does not select the namespace that references it."""
    if brand.spec.namespace_selector.selects(labels):
        return None
    return Verdict(brand.KIND, brand.metadata.name, "spec.namespaceSelector", "spec.brandRef",
                   NOT_SELECTED.format(namespace=namespace))


def _judge(policy: ExtensionPolicy, subject: Subject) -> list[Verdict]:
    obj = subject.obj
    if isinstance(obj, ExtensionInstall):
        return _install(policy, obj)
    if isinstance(obj, ExtensionAccount):
        return _account(policy, obj, subject)
    if isinstance(obj, AccountGrant):
        return _grant(policy, obj)
    return []


def _verdict(policy: ExtensionPolicy, rule: str, field: str, message: str) -> Verdict:
    return Verdict(policy.KIND, policy.metadata.name, rule, field, message)


def _ids(policy: ExtensionPolicy, extension_id: str | None, field: str) -> list[Verdict]:
    ids = policy.spec.extensions.ids
    if ids is None or extension_id is None or extension_id in ids:
        return []
    return [_verdict(policy, "spec.extensions.ids", field, IDS.format(id=extension_id, ids=", ".join(ids)))]


def _install(policy: ExtensionPolicy, install: ExtensionInstall) -> list[Verdict]:
    spec, rules = install.spec, policy.spec
    verdicts = _ids(policy, spec.extension_id, "spec.extensionId")
    # Admission cannot read the catalog: accepting terms is what a third-party install needs, and opting in
    # what a Preview one needs, so these are the rules' marks on an install.
    if spec.terms_accepted and not rules.extensions.third_party:
        verdicts.append(_verdict(policy, "spec.extensions.thirdParty", "spec.termsAccepted", THIRD_PARTY))
    if spec.preview_opt_in and not rules.extensions.preview:
        verdicts.append(_verdict(policy, "spec.extensions.preview", "spec.previewOptIn", PREVIEW))
    if spec.terms_accepted and rules.acceptance.terms == Acceptor.PLATFORM:
        verdicts.append(_verdict(policy, "spec.acceptance.terms", "spec.termsAccepted", TERMS))
    if spec.preview_opt_in and rules.acceptance.preview_opt_in == Acceptor.PLATFORM:
        verdicts.append(_verdict(policy, "spec.acceptance.previewOptIn", "spec.previewOptIn", PREVIEW_OPT_IN))
    suffixes = rules.domains.suffixes
    if suffixes is not None:
        outside = [domain for domain in spec.domains or () if not _under(domain, suffixes)]
        if outside:
            verdicts.append(_verdict(policy, "spec.domains.suffixes", "spec.domains",
                                     DOMAINS.format(domain=outside[0], suffixes=", ".join(suffixes))))
    return verdicts


def _under(domain: str, suffixes: list[str]) -> bool:
    """Whether an install domain (https://host[:port], host maybe `*.`) has a suffix's host or one below it."""
    host = domain.removeprefix("https://").split(":")[0]
    return any(host == suffix or host.endswith("." + suffix) for suffix in suffixes)


def _account(policy: ExtensionPolicy, account: ExtensionAccount, subject: Subject) -> list[Verdict]:
    spec, rules = account.spec, policy.spec
    field = "spec.extensionId" if spec.extension_id is not None else "spec.installRef"
    verdicts = _ids(policy, spec.extension_id or subject.extension_id, field)
    facts = subject.facts
    if facts is not None and not facts.first_party and not rules.extensions.third_party:
        verdicts.append(_verdict(policy, "spec.extensions.thirdParty", field, THIRD_PARTY))
    if facts is not None and facts.preview and not rules.extensions.preview:
        verdicts.append(_verdict(policy, "spec.extensions.preview", field, PREVIEW))
    limit = rules.accounts.max_per_namespace
    if limit is not None and subject.account_number is not None and subject.account_number > limit:
        verdicts.append(_verdict(policy, "spec.accounts.maxPerNamespace", "metadata.name", MAX_ACCOUNTS.format(
            namespace=subject.namespace, limit=limit, number=subject.account_number)))
    return verdicts


def _grant(policy: ExtensionPolicy, grant: AccountGrant) -> list[Verdict]:
    spec, rules = grant.spec, policy.spec
    verdicts = []
    if spec.all_users is not None and not rules.access.all_users:
        verdicts.append(_verdict(policy, "spec.access.allUsers", "spec.allUsers", ALL_USERS))
    if not rules.access.owner:
        users = [entry.user for entry in spec.users if entry.access == Access.OWNER]
        groups = [entry.group for entry in spec.groups if entry.access == Access.OWNER]
        for field, owners in (("spec.users", users), ("spec.groups", groups)):
            if owners:
                verdicts.append(_verdict(policy, "spec.access.owner", field, OWNER.format(who=owners[0])))
    return verdicts
