"""Every malformed manifest is refused at the field it declares, by the layer it declares."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from api_support import MALFORMED, names_field, read_header

from qxo.api.documents import Document, load_file
from qxo.api.validation import admit_object, validate_paths

FIXTURES = sorted(MALFORMED.glob("*.yaml"))


def test_there_are_at_least_100_malformed_manifests_with_the_header_format():
    assert len(FIXTURES) >= 100
    for path in FIXTURES:
        field, layer = read_header(path)
        assert layer in ("schema", "semantic"), path.name
        assert field and " " not in field, path.name
        assert len([doc for doc in yaml.safe_load_all(path.read_text()) if doc]) == 1, path.name


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.stem)
def test_malformed_manifest_is_refused_naming_its_field(path: Path):
    field, _ = read_header(path)
    report = validate_paths([path])
    errors = [problem for problem in report.problems if problem.severity == "error"]
    assert not report.valid
    assert any(names_field(problem.field, field) for problem in errors), [p.display() for p in errors]
    for problem in errors:
        assert problem.file == str(path)
        assert problem.message


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.stem)
def test_malformed_manifest_is_refused_by_its_declared_layer(path: Path):
    field, layer = read_header(path)
    [document] = load_file(path)[0]
    problems, obj = admit_object(Document(document.file, document.line, document.body))
    if layer == "schema":
        assert any(names_field(problem.field, field) for problem in problems), [p.display() for p in problems]
        assert obj is None
    else:
        assert problems == [], "a semantic fixture must pass the schema layer"
        assert obj is not None
