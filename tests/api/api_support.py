"""Paths and helpers shared by the API tests: crds/, examples/ and the malformed fixtures."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CRDS = ROOT / "crds"
EXAMPLES = ROOT / "examples"
MALFORMED = ROOT / "tests" / "fixtures" / "malformed"


def read_header(path: Path) -> tuple[str, str]:
    """The `# field:` and `# layer:` a malformed fixture declares on its first two lines."""
    first, second = path.read_text(encoding="utf-8").splitlines()[:2]
    assert first.startswith("# field: "), path.name
    assert second.startswith("# layer: "), path.name
    return first.removeprefix("# field: "), second.removeprefix("# layer: ")


def names_field(found: str, declared: str) -> bool:
    """A problem at `found` names `declared` when it is that field or one inside it."""
    return found == declared or found.startswith((f"{declared}.", f"{declared}["))
