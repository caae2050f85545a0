"""`qxo export`: the live brand as manifests ready to commit and adopt, never with a credential value.

Names are deterministic (slugs of extension ids and account names), lists sorted, so exporting
an unchanged brand twice gives the same files. Accounts carry `qxo.dev/external-id` so the
operator adopts them instead of creating new ones, and a Secret placeholder whose keys are the
account's credential keys, with empty values to fill from a secret manager.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qxo.api.common import API_VERSION, CREDENTIALS_LABEL, EXTERNAL_ID_ANNOTATION
from qxo.gitops.changes import Names
from qxo.gitops.planner import load_names
from qxo.qualtrics.models import Account, Extension
from qxo.reconcile import install as installs
from qxo.reconcile.session import BrandSession

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DATACENTER_URL = re.compile(r"^https://([a-z0-9][a-z0-9-]{0,7})\.qualtrics\.com$")

HEADERS = {
    "00-brand.yaml": "The connection to brand {brand_id}. Put the API token in the Secret from your secret "
                     "manager (External Secrets, Sealed Secrets, ...): never commit its value.",
    "10-installs.yaml": "Installed extensions, their allowed domains and who they are enabled for (an empty "
                        "enablement means nobody). deletionPolicy Orphan: deleting a manifest leaves the "
                        "extension installed; switch to Delete once qxo owns it.",
    "20-accounts.yaml": "Accounts, adopted by qxo.dev/external-id. FILL EVERY SECRET BEFORE APPLYING: the "
                        "operator sends a Secret's values to the brand when it adopts an account, since it "
                        "cannot read which credentials the brand holds.",
    "30-grants.yaml": "Who may use each account. Owner access cannot be granted to all users.",
}


def slug(text: str) -> str:
    """An RFC 1123 label from any text: `Acme ticketing API` -> `acme-ticketing-api`."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-")
    return value or "x"


def is_label(name: str) -> bool:
    """An RFC 1123 label, as Kubernetes requires of a namespace (and qxo's exported names are)."""
    return len(name) <= 63 and bool(_LABEL.match(name))


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        suffix = f"-{n}"
        candidate, n = name[:63 - len(suffix)].rstrip("-") + suffix, n + 1
    used.add(candidate)
    return candidate


@dataclass
class Export:
    files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def render(self, filename: str, brand_id: str) -> str:
        header = "".join(f"# {line}\n" for line in _wrap(HEADERS[filename].format(brand_id=brand_id)))
        body = yaml.safe_dump_all(self.files[filename], sort_keys=False, default_flow_style=False)
        return header + body

    def write(self, directory: Path, brand_id: str) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for filename in sorted(self.files):
            path = directory / filename
            path.write_text(self.render(filename, brand_id), encoding="utf-8")
            written.append(path)
        return written

    def stream(self, brand_id: str) -> str:
        return "---\n".join(self.render(filename, brand_id) for filename in sorted(self.files))


def _wrap(text: str, width: int = 100) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines


def _meta(name: str, namespace: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if annotations:
        meta["annotations"] = annotations
    return meta


def _secret(name: str, namespace: str, keys: list[str]) -> dict[str, Any]:
    """A placeholder Secret to fill, labelled so the operator may read it (it reads no other Secret)."""
    meta = {**_meta(name, namespace), "labels": {CREDENTIALS_LABEL: "true"}}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque",
            "stringData": dict.fromkeys(keys, "")}


class Exporter:
    def __init__(self, session: BrandSession, names: Names, namespace: str, brand_name: str) -> None:
        self.session, self.names, self.namespace, self.brand_name = session, names, namespace, brand_name
        self.result = Export()

    def _add(self, filename: str, document: dict[str, Any]) -> None:
        self.result.files.setdefault(filename, []).append(document)

    def brand(self) -> None:
        config = self.session.client.config
        secret = f"{self.brand_name}-api-token"
        self._add("00-brand.yaml", _secret(secret, self.namespace, ["token"]))
        spec: dict[str, Any] = {"brandId": config.brand_id}
        match = _DATACENTER_URL.match(config.root_url)
        if match:
            spec["datacenter"] = match.group(1)
        else:
            spec["baseURL"] = config.root_url
        spec["credentials"] = {"type": "APIToken", "apiTokenSecretRef": {"name": secret, "key": "token"}}
        self._add("00-brand.yaml", {"apiVersion": API_VERSION, "kind": "QualtricsBrand",
                                    "metadata": _meta(self.brand_name, self.namespace), "spec": spec})

    def _named(self, ids: tuple[str, ...], lookup: dict[str, str], what: str, where: str) -> list[str]:
        known = []
        for ident in ids:
            if ident in lookup:
                known.append(lookup[ident])
            else:
                self.result.warnings.append(f"{where}: {what} {ident} is not in the brand's {what} list; left out")
        return sorted(known)

    def install(self, extension: Extension, name: str) -> None:
        spec: dict[str, Any] = {"brandRef": {"name": self.brand_name}, "extensionId": extension.id}
        if not extension.first_party:
            spec["termsAccepted"] = True
        if extension.preview:
            spec["previewOptIn"] = True
        if extension.domains_editable:
            spec["domains"] = installs.status_of(extension)["domains"]
        enablement = extension.enablement
        if enablement is not None:
            where = f"ExtensionInstall {name}"
            declared: dict[str, Any] = {}
            if enablement.all_users:
                declared["allUsers"] = True
            users = self._named(enablement.users, self.names.users, "user", where)
            groups = self._named(enablement.groups, self.names.groups, "group", where)
            if users:
                declared["users"] = users
            if groups:
                declared["groups"] = groups
            spec["enablement"] = declared
        spec["deletionPolicy"] = "Orphan"
        self._add("10-installs.yaml", {"apiVersion": API_VERSION, "kind": "ExtensionInstall",
                                       "metadata": _meta(name, self.namespace), "spec": spec})

    def account(self, account: Account, name: str, install_name: str) -> None:
        secret = f"{name}-credentials"
        keys = sorted(account.credential_keys)
        self._add("20-accounts.yaml", _secret(secret, self.namespace, keys))
        credentials: dict[str, Any] = {"secretRef": {"name": secret}}
        if keys:
            credentials["keys"] = keys
        self._add("20-accounts.yaml", {
            "apiVersion": API_VERSION, "kind": "ExtensionAccount",
            "metadata": _meta(name, self.namespace, {EXTERNAL_ID_ANNOTATION: account.id}),
            "spec": {"installRef": {"name": install_name}, "displayName": account.name,
                     "credentials": credentials, "deletionPolicy": "Orphan"}})

    def grant(self, account: Account, name: str) -> None:
        access = account.access
        if access is None or not (access.all_users or access.users or access.groups):
            return  # nobody has access: nothing to declare, and the operator leaves it so
        where = f"AccountGrant {name}"
        spec: dict[str, Any] = {"accountRef": {"name": name}}
        if access.all_users:
            spec["allUsers"] = {"access": "User"}
        for field_name, key, entries, lookup, what in (
                ("users", "user", access.users, self.names.users, "user"),
                ("groups", "group", access.groups, self.names.groups, "group")):
            levels = {e.id: e.access for e in entries}
            by_name = {lookup[i]: level for i, level in levels.items() if i in lookup}
            self._named(tuple(levels), lookup, what, where)  # warns about the unknown ones
            if by_name:
                spec[field_name] = [{key: n, "access": by_name[n]} for n in sorted(by_name)]
        spec["deletionPolicy"] = "Orphan"
        self._add("30-grants.yaml", {"apiVersion": API_VERSION, "kind": "AccountGrant",
                                     "metadata": _meta(name, self.namespace), "spec": spec})

    async def run(self) -> Export:
        state = await self.session.observe()
        self.brand()
        install_names: dict[str, str] = {}
        used: set[str] = set()
        for extension in sorted((e for e in state.extensions.values() if e.installed), key=lambda e: e.id):
            install_names[extension.id] = _unique(slug(extension.id), used)
            self.install(extension, install_names[extension.id])
        used = set()
        ordered = sorted(state.accounts.values(), key=lambda a: (a.extension_id, a.name, a.id))
        for account in ordered:
            if account.extension_id not in install_names:
                self.result.warnings.append(f"account {account.name!r} ({account.id}) belongs to "
                                            f"{account.extension_id}, which is not installed; left out")
                continue
            name = _unique(slug(account.name), used)
            self.account(account, name, install_names[account.extension_id])
            self.grant(account, name)
        return self.result


async def export_brand(session: BrandSession, *, namespace: str, brand_name: str) -> Export:
    names = await load_names(session)
    return await Exporter(session, names, namespace, brand_name).run()
