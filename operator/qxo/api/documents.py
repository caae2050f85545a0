"""Reading manifests for offline validation: YAML files and directories into documents, and the Problem record.

A syntax error becomes a Problem naming the file and line, never an exception; a Secret's
values are read (to know its keys) but never appear in any Problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

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

    def as_json(self) -> dict[str, str]:
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
        return Problem(self.file, self.kind, self.name, self.namespace, path, message, severity)


def manifest_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """The YAML files named or found (recursively, sorted) under the given paths."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "", "", "", "", "no such file or directory"))
    return files, problems


def load_file(path: Path) -> tuple[list[Document], list[Problem]]:
    """Every document of one file; a syntax error ends the file with a Problem naming the line."""
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [], [Problem(label, "", "", "", "", f"cannot read: {error.__class__.__name__}")]
    documents: list[Document] = []
    try:
        for line, body in _documents(text):
            documents.extend(_expand(label, line, body))
    except yaml.YAMLError as error:
        return documents, [Problem(label, "", "", "", "", _yaml_message(error))]
    return documents, []


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, as kubectl does, instead of silently keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _documents(text: str) -> Iterator[tuple[int, Any]]:
    loader = _StrictLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            yield node.start_mark.line + 1, _plain(loader.construct_document(node))
    finally:
        loader.dispose()


def _plain(value: Any) -> Any:
    """JSON-shaped data: YAML timestamps and dates back to the strings Kubernetes would see."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    return value


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


def _yaml_message(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"YAML syntax error at {where}{problem}"


def load_paths(paths: Iterable[str | Path]) -> tuple[list[Document], list[Problem]]:
    """All documents under the given paths, with the problems met while reading them."""
    files, problems = manifest_files(paths)
    documents: list[Document] = []
    for path in files:
        found, file_problems = load_file(path)
        documents.extend(found)
        problems.extend(file_problems)
    return documents, problems
