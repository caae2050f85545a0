"""The declared state for `qxo plan`: manifests read and validated exactly as `qxo validate` does, then typed.

Invalid manifests stop the plan before the brand is contacted, with the same problems
`qxo validate` prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qxo.api import KINDS, AccountGrant, ExtensionAccount, ExtensionInstall, QualtricsBrand
from qxo.api.documents import Document, Problem, load_paths
from qxo.api.validation import admit_object, is_qxo, validate_documents
from qxo.trust.endpoints import DEFAULT, Allowlist

BRAND, INSTALL, ACCOUNT, GRANT = QualtricsBrand.KIND, ExtensionInstall.KIND, ExtensionAccount.KIND, AccountGrant.KIND


@dataclass(frozen=True)
class Declared:
    """One qxo object of the manifests: its document (for annotations and where it came from) and typed model."""

    doc: Document
    obj: Any

    @property
    def kind(self) -> str:
        return self.doc.kind

    @property
    def name(self) -> str:
        return self.doc.name

    @property
    def namespace(self) -> str:
        return self.doc.namespace

    @property
    def spec(self) -> Any:
        return self.obj.spec


@dataclass
class DeclaredSet:
    brands: list[Declared] = field(default_factory=list)
    installs: list[Declared] = field(default_factory=list)
    accounts: list[Declared] = field(default_factory=list)
    grants: list[Declared] = field(default_factory=list)
    others: list[Declared] = field(default_factory=list)  # SalesforceLinks: not planned

    def find(self, kind: str, namespace: str, name: str) -> Declared | None:
        pool = {BRAND: self.brands, INSTALL: self.installs, ACCOUNT: self.accounts, GRANT: self.grants}[kind]
        return next((d for d in pool if d.namespace == namespace and d.name == name), None)


class InvalidManifests(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def load_declared(paths: Iterable[str | Path], allowlist: Allowlist = DEFAULT) -> DeclaredSet:
    """The typed qxo objects under `paths`; raises InvalidManifests with every error found."""
    documents, problems = load_paths(paths)
    problems = problems + validate_documents(documents, allowlist)
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors:
        raise InvalidManifests(errors)
    declared = DeclaredSet()
    pools = {BRAND: declared.brands, INSTALL: declared.installs, ACCOUNT: declared.accounts, GRANT: declared.grants}
    for document in documents:
        if not is_qxo(document) or document.kind not in KINDS:
            continue
        _, obj = admit_object(document)  # valid, as checked above: this only types it (with defaults)
        pools.get(document.kind, declared.others).append(Declared(document, obj))
    return declared
