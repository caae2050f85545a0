"""Reading manifests for offline validation: YAML files and directories into documents, and the Problem record.

A file that cannot be read as manifests (a syntax error, or a bound of `qxo.api.manifest_yaml`
broken: size, depth, aliases, tags) becomes a Problem naming the file and line, never an
exception; a Secret's values are read (to know its keys) but never appear in any Problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from qxo.api.manifest_yaml import YamlRefusal, documents, read_manifest

Severity = Literal["error", "warning"]
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a look) in a manifest, at one field."""

    file: str
    kind: str
    name: str
    namespace: str
    field: str
    message: str
    severity: Severity = "error"
    line: int = 0
    """First line of the document (or the line a YAML problem is at); 0 when no line applies."""

    def display(self) -> str:
        """`file: Kind/name: field.path: message`, warnings prefixed `warning:`."""
        parts = [self.file]
        if self.kind or self.name:
            parts.append(f"{self.kind or '?'}/{self.name or '?'}")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        text = ": ".join(parts)
        return f"warning: {text}" if self.severity == "warning" else text

    def as_json(self) -> dict[str, str | int]:
        return asdict(self)


@dataclass
class Document:
    """One YAML document of a manifest file."""

    file: str
    line: int
    body: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    @property
    def api_version(self) -> str:
        value = self.body.get("apiVersion")
        return value if isinstance(value, str) else ""

    @property
    def kind(self) -> str:
        value = self.body.get("kind")
        return value if isinstance(value, str) else ""

    @property
    def metadata(self) -> dict[str, Any]:
        value = self.body.get("metadata")
        return value if isinstance(value, dict) else {}

    @property
    def name(self) -> str:
        value = self.metadata.get("name")
        return value if isinstance(value, str) else ""

    @property
    def namespace(self) -> str:
        value = self.metadata.get("namespace")
        return value if isinstance(value, str) else ""

    def problem(self, path: str, message: str, severity: Severity = "error") -> Problem:
        """A Problem about this document at `path`."""
        return Problem(self.file, self.kind, self.name, self.namespace, path, message, severity, self.line)


def manifest_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """The YAML files named or found (recursively, sorted) under the given paths.

    A symbolic link met while walking a directory is refused rather than followed: in a pull
    request it could point at any file of the machine running the check.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES):
                if found.is_symlink():
                    problems.append(Problem(str(found), "", "", "", "", "a symbolic link is not followed: "
                                            "name the file it points to instead"))
                elif found.is_file():
                    files.append(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "", "", "", "", "no such file or directory"))
    return files, problems


def load_file(path: Path) -> tuple[list[Document], list[Problem]]:
    """Every document of one file; a file that cannot be read as manifests is one Problem naming the line."""
    label = str(path)
    try:
        text = read_manifest(path)
    except OSError as error:
        return [], [Problem(label, "", "", "", "", f"cannot read: {error.__class__.__name__}")]
    except YamlRefusal as refusal:
        return [], [Problem(label, "", "", "", "", refusal.text, line=refusal.line)]
    found: list[Document] = []
    try:
        for line, body in documents(text):
            found.extend(_expand(label, line, body))
    except YamlRefusal as refusal:
        return [], [Problem(label, "", "", "", "", refusal.text, line=refusal.line)]
    return found, []


def _expand(label: str, line: int, body: Any) -> list[Document]:
    """A document, or the items of a `kind: List`; anything but a mapping is a Problem."""
    if body is None:
        return []
    if not isinstance(body, dict):
        document = Document(label, line, {})
        document.problems.append(document.problem("", f"line {line}: a manifest must be a mapping, "
                                                      f"not {type(body).__name__}"))
        return [document]
    if body.get("kind") == "List" and isinstance(body.get("items"), list):
        return [doc for item in body["items"] for doc in _expand(label, line, item)]
    return [Document(label, line, body)]


def load_paths(paths: Iterable[str | Path]) -> tuple[list[Document], list[Problem]]:
    """All documents under the given paths, with the problems met while reading them."""
    files, problems = manifest_files(paths)
    documents: list[Document] = []
    for path in files:
        found, file_problems = load_file(path)
        documents.extend(found)
        problems.extend(file_problems)
    return documents, problems
