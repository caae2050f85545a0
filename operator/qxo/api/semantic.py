"""qxo's semantic checks over a set of schema-valid manifests: catalog rules and rules across documents.

These are the rules no CRD schema can hold: they need the extension catalog (the operator
checks the live one; offline, the snapshot in `qxo.api.catalog`) or other objects (refs,
one AccountGrant per account, Secret keys).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from qxo.api.account import ExtensionAccount
from qxo.api.brand import QualtricsBrand
from qxo.api.catalog import BY_ID
from qxo.api.common import CREDENTIALS_LABEL, EXTERNAL_ID_ANNOTATION, PAUSED_ANNOTATION, CABundleRef, Resource
from qxo.api.documents import Document, Problem
from qxo.api.grant import AccountGrant
from qxo.api.install import ExtensionInstall, ExtensionInstallSpec
from qxo.api.salesforce import SalesforceLink
from qxo.api.suffixes import wildcard_reach_problem
from qxo.trust.endpoints import DEFAULT, Allowlist, InvalidEndpoint, NotAllowed


@dataclass(frozen=True)
class Parsed:
    """A qxo document that passed the schema layer, with its typed model."""

    doc: Document
    obj: Resource

    @property
    def namespace(self) -> str:
        return self.doc.namespace


@dataclass(frozen=True)
class KeyedStore:
    """Keys (never values) of the Secrets and ConfigMaps in the set, by (kind, namespace, name)."""

    keys: dict[tuple[str, str, str], frozenset[str]]

    @classmethod
    def of(cls, documents: Iterable[Document]) -> KeyedStore:
        keys = {}
        for doc in documents:
            if doc.api_version == "v1" and doc.kind in ("Secret", "ConfigMap"):
                fields = ("data", "stringData") if doc.kind == "Secret" else ("data", "binaryData")
                found = set()
                for name in fields:
                    section = doc.body.get(name)
                    if isinstance(section, dict):
                        found.update(str(key) for key in section)
                keys[(doc.kind, doc.namespace, doc.name)] = frozenset(found)
        return cls(keys)


def semantic_problems(parsed: list[Parsed], others: list[Document], *, across: bool = True,
                      allowlist: Allowlist = DEFAULT) -> list[Problem]:
    """Every semantic problem of the set, in document order per check; `across=False` keeps to single objects."""
    problems: list[Problem] = []
    for item in parsed:
        problems += annotation_problems(item)
        problems += catalog_problems(item)
        problems += case_duplicate_problems(item)
        problems += endpoint_problems(item, allowlist)
        problems += owner_access_problems(item)
    if not across:
        return problems
    store = KeyedStore.of(others)
    problems += secret_data_problems(others)
    problems += duplicate_name_problems(parsed)
    present = {(item.obj.kind, item.namespace, item.obj.metadata.name) for item in parsed}
    unlabelled = unlabelled_secrets(others)
    for item in parsed:
        problems += reference_problems(item, present)
        problems += secret_key_problems(item, store)
        problems += secret_label_problems(item, unlabelled)
    problems += natural_key_problems(parsed)
    return problems


def endpoint_problems(item: Parsed, allowlist: Allowlist) -> Iterator[Problem]:
    """Where the operator would send credentials must be on the allowlist (the operator refuses it otherwise).

    A pull request pointing a brand or a link at another host fails its check here, with the same
    defaults and `--allow-endpoint` patterns the operator applies.
    """
    if isinstance(item.obj, QualtricsBrand):
        spec = item.obj.spec
        service, (field, url) = "qualtrics", (("spec.baseURL", str(spec.base_url)) if spec.base_url
                                              else ("spec.datacenter", f"https://{spec.datacenter}.qualtrics.com"))
    elif isinstance(item.obj, SalesforceLink):
        service, field, url = "salesforce", "spec.loginURL", str(item.obj.spec.effective_login_url)
    else:
        return
    try:
        allowlist.for_service(service).check_url(url)
    except (NotAllowed, InvalidEndpoint) as refused:
        yield item.doc.problem(field, str(refused))


def unlabelled_secrets(others: list[Document]) -> set[tuple[str, str]]:
    """(namespace, name) of the Secrets in the set without `qxo.dev/credentials: "true"`."""
    found = set()
    for doc in others:
        if doc.api_version == "v1" and doc.kind == "Secret":
            labels = (doc.body.get("metadata") or {}).get("labels")
            if not (isinstance(labels, dict) and labels.get(CREDENTIALS_LABEL) == "true"):
                found.add((doc.namespace, doc.name))
    return found


def secret_label_problems(item: Parsed, unlabelled: set[tuple[str, str]]) -> Iterator[Problem]:
    """A referenced Secret in the set without the credentials label is one the operator will not read."""
    for path, kind, name, _ in _secret_refs(item.obj):
        if kind == "Secret" and (item.namespace, name) in unlabelled:
            yield item.doc.problem(path, f'Secret {name!r} has no label {CREDENTIALS_LABEL}: "true"; the operator '
                                         "reads only Secrets that carry it", "warning")


def secret_data_problems(others: list[Document]) -> Iterator[Problem]:
    """A Secret's `data` must be base64; the value itself is never shown."""
    for doc in others:
        if doc.api_version != "v1" or doc.kind != "Secret" or not isinstance(doc.body.get("data"), dict):
            continue
        for key, value in doc.body["data"].items():
            try:
                base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError):
                yield doc.problem(f"data.{key}", "not valid base64 (use stringData for plain text)")


def annotation_problems(item: Parsed) -> Iterator[Problem]:
    """qxo's annotations with values that would silently do nothing."""
    annotations = item.obj.metadata.annotations
    paused = annotations.get(PAUSED_ANNOTATION)
    if paused is not None and paused.lower() not in ("true", "false"):
        yield item.doc.problem(f"metadata.annotations[{PAUSED_ANNOTATION}]",
                               f"{paused!r} does not pause the object: only \"true\" does", "warning")
    external_id = annotations.get(EXTERNAL_ID_ANNOTATION)
    if external_id is not None and not external_id.strip():
        yield item.doc.problem(f"metadata.annotations[{EXTERNAL_ID_ANNOTATION}]",
                               "an empty external id adopts nothing: remove the annotation or name the remote id")


class CatalogFacts(Protocol):
    """What the install rules need to know about a catalog entry (the snapshot's or the live catalog's)."""

    name: str
    publisher: str
    preview: bool
    domains_editable: bool
    default_domains: tuple[str, ...]

    @property
    def first_party(self) -> bool: ...


def install_catalog_findings(spec: ExtensionInstallSpec, entry: CatalogFacts,
                             current_domains: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(field, message) for each catalog rule the install breaks.

    Domains of an extension that allows no edits may be declared only as exactly its current list (the
    brand accepts that PUT, and so does the operator); offline, the current list of such an extension is
    its catalog default, since nobody can have changed it."""
    findings = []
    if not entry.first_party and not spec.terms_accepted:
        findings.append(("spec.termsAccepted", f"{entry.name} is a third-party extension by {entry.publisher}: "
                                               "set termsAccepted: true to accept its privacy policy and terms of use"))
    if entry.preview and not spec.preview_opt_in:
        findings.append(("spec.previewOptIn", f"{entry.name} is marked Preview (not certified by Qualtrics): "
                                              "set previewOptIn: true to install it"))
    current = set(entry.default_domains if current_domains is None else current_domains)
    if spec.domains is not None and not entry.domains_editable and set(spec.domains) != current:
        findings.append(("spec.domains", f"{entry.name} does not allow domain edits: leave domains out, or declare "
                                         f"exactly its domains: {sorted(current) or 'none'}"))
    elif spec.domains is not None and set(spec.domains) != current:
        # A list the team writes must not open the extension to other owners' hosts; an extension's own
        # list (Salesforce's *.salesforce.com), declared as it is, writes nothing.
        findings += [(f"spec.domains[{index}]", problem) for index, domain in enumerate(spec.domains)
                     if (problem := wildcard_reach_problem(domain))]
    return findings


def catalog_problems(item: Parsed) -> Iterator[Problem]:
    """Terms, Preview opt-in and domain edits against the catalog snapshot; an unknown id only warns."""
    if not isinstance(item.obj, ExtensionInstall):
        return
    spec = item.obj.spec
    entry = BY_ID.get(spec.extension_id)
    if entry is None:
        yield item.doc.problem("spec.extensionId", f"{spec.extension_id!r} is not in qxo's catalog snapshot; "
                                                   "the brand's licence decides whether it can be installed",
                               "warning")
        return
    for path, message in install_catalog_findings(spec, entry):
        yield item.doc.problem(path, message)


def case_duplicate_problems(item: Parsed) -> Iterator[Problem]:
    """Usernames are emails: `Ana.Lima@…` and `ana.lima@…` are the same user, listed twice."""
    lists: list[tuple[str, list[str]]] = []
    if isinstance(item.obj, AccountGrant):
        lists.append(("spec.users", [entry.user for entry in item.obj.spec.users]))
        lists.append(("spec.groups", [entry.group for entry in item.obj.spec.groups]))
    elif isinstance(item.obj, ExtensionInstall) and item.obj.spec.enablement is not None:
        lists.append(("spec.enablement.users", item.obj.spec.enablement.users))
        lists.append(("spec.enablement.groups", item.obj.spec.enablement.groups))
    for path, names in lists:
        seen: dict[str, int] = {}
        for index, name in enumerate(names):
            if name.casefold() in seen:
                yield item.doc.problem(f"{path}[{index}]", f"{name!r} duplicates entry {seen[name.casefold()]} "
                                                           "(names are compared without case)")
            seen.setdefault(name.casefold(), index)


def owner_access_problems(item: Parsed) -> Iterator[Problem]:
    """The seed gives ownership of an account to other Brand Administrators; offline nobody knows who is one."""
    if not isinstance(item.obj, AccountGrant):
        return
    for index, entry in enumerate(item.obj.spec.users):
        if entry.access == "Owner":
            yield item.doc.problem(f"spec.users[{index}].access",
                                   f"Owner access is for Brand Administrators; qxo validate cannot tell whether "
                                   f"{entry.user!r} is one (the operator and the brand refuse it if not)", "warning")


def duplicate_name_problems(parsed: list[Parsed]) -> Iterator[Problem]:
    seen: dict[tuple[str, str, str], Parsed] = {}
    for item in parsed:
        key = (item.obj.kind, item.namespace, item.obj.metadata.name)
        if key in seen:
            yield item.doc.problem("metadata.name", f"{item.obj.kind} {key[2]!r} is declared twice "
                                                    f"(also in {seen[key].doc.file})")
        seen.setdefault(key, item)


_REFS: dict[type[Resource], tuple[str, str, str]] = {
    QualtricsBrand: ("", "", ""),
    ExtensionInstall: ("brand_ref", "spec.brandRef.name", "QualtricsBrand"),
    ExtensionAccount: ("install_ref", "spec.installRef.name", "ExtensionInstall"),
    AccountGrant: ("account_ref", "spec.accountRef.name", "ExtensionAccount"),
    SalesforceLink: ("brand_ref", "spec.brandRef.name", "QualtricsBrand"),
}


def reference_problems(item: Parsed, present: set[tuple[str, str, str]]) -> Iterator[Problem]:
    """A ref to an object not in the set is a warning: it may be committed elsewhere."""
    attribute, path, kind = _REFS[type(item.obj)]
    if not attribute:
        return
    name = getattr(item.obj.spec, attribute).name
    if (kind, item.namespace, name) not in present:
        where = f" in namespace {item.namespace}" if item.namespace else ""
        yield item.doc.problem(path, f"{kind} {name!r} is not among these manifests; it must exist{where}",
                               "warning")


def _secret_refs(obj: Resource) -> Iterator[tuple[str, str, str, tuple[str, ...]]]:
    """(field path, kind, name, keys needed) for every Secret or ConfigMap the object reads."""
    spec = obj.spec
    if isinstance(obj, QualtricsBrand):
        token, client = spec.credentials.api_token_secret_ref, spec.credentials.oauth_client_secret_ref
        if token is not None:
            yield "spec.credentials.apiTokenSecretRef", "Secret", token.name, (token.key,)
        if client is not None:
            yield ("spec.credentials.oauthClientSecretRef", "Secret", client.name,
                   (client.client_id_key, client.client_secret_key))
    elif isinstance(obj, ExtensionAccount):
        credentials = spec.credentials
        yield "spec.credentials.secretRef", "Secret", credentials.secret_ref.name, tuple(credentials.keys or ())
    elif isinstance(obj, SalesforceLink):
        client, refresh = spec.oauth.client_secret_ref, spec.oauth.refresh_token_secret_ref
        yield "spec.oauth.clientSecretRef", "Secret", client.name, (client.client_id_key, client.client_secret_key)
        yield "spec.oauth.refreshTokenSecretRef", "Secret", refresh.name, (refresh.key,)
    bundle: CABundleRef | None = getattr(spec, "ca_bundle_ref", None)
    if bundle is not None:
        yield "spec.caBundleRef", str(bundle.kind), bundle.name, (bundle.key,)


def secret_key_problems(item: Parsed, store: KeyedStore) -> Iterator[Problem]:
    """A Secret or ConfigMap in the set must have the keys referenced; absent ones may come from elsewhere."""
    for path, kind, name, needed in _secret_refs(item.obj):
        keys = store.keys.get((kind, item.namespace, name))
        if keys is None:
            continue
        if not needed and not keys:
            yield item.doc.problem(path, f"{kind} {name!r} has no keys to use as credentials")
        for key in needed:
            if key not in keys:
                yield item.doc.problem(path, f"{kind} {name!r} has no key {key!r}")


def natural_key_problems(parsed: list[Parsed]) -> Iterator[Problem]:
    """One install per extension and brand, one account per display name and install, one grant per account."""
    keys = {
        ExtensionInstall: ("spec.extensionId", lambda s: (s.brand_ref.name, s.extension_id),
                           "already installs {1} into QualtricsBrand {0!r}"),
        ExtensionAccount: ("spec.displayName", lambda s: (s.install_ref.name, s.display_name),
                           "already declares account {1!r} of ExtensionInstall {0!r}"),
        AccountGrant: ("spec.accountRef.name", lambda s: (s.account_ref.name,),
                       "already grants access to ExtensionAccount {0!r} (one AccountGrant per account)"),
    }
    seen: dict[tuple, Parsed] = {}
    for item in parsed:
        rule = keys.get(type(item.obj))
        if rule is None:
            continue
        path, natural_key, message = rule
        values = natural_key(item.obj.spec)
        key = (type(item.obj), item.namespace, *values)
        if key in seen:
            first = seen[key].obj.metadata.name
            yield item.doc.problem(path, f"{item.obj.kind} {first!r} " + message.format(*values))
        seen.setdefault(key, item)
