"""The table itself, without a server: big enough, every case distinct, every known difference documented."""

from __future__ import annotations

import re
from pathlib import Path

from conformancetable import AREAS, CASES

DOC = Path(__file__).resolve().parents[2] / "docs" / "kube-sandbox.md"


def _known_sections() -> set[str]:
    text = DOC.read_text()
    section = text.split("\n## Known differences\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^### (.+)$", section, flags=re.MULTILINE))


def test_the_table_has_at_least_150_cases_in_every_area():
    assert len(CASES) >= 150
    assert all(len(cases) >= 5 for cases in AREAS.values()), {area: len(cases) for area, cases in AREAS.items()}


def test_every_case_has_its_own_name_and_namespace():
    assert len({case.name for case in CASES}) == len(CASES)
    assert len({case.namespace for case in CASES}) == len(CASES)
    assert all(len(case.namespace) <= 63 for case in CASES)


def test_every_known_difference_is_explained_in_the_docs():
    known = {case.known.doc for case in CASES if case.known}
    assert known, "the table records the known differences it proves"
    assert known <= _known_sections(), known - _known_sections()
