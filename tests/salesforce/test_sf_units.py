"""Pure parts: login IP range coverage and requirement validation."""

from __future__ import annotations

import pytest

from qxo.salesforce import FieldRequirement, ObjectRequirement, RecordTypeRequirement, Requirements
from qxo.salesforce.ipranges import QUALTRICS_RANGES, parse_cidr, uncovered


@pytest.mark.parametrize(
    ("ranges", "missing"),
    [
        ([], list(QUALTRICS_RANGES)),
        ([("0.0.0.0", "255.255.255.255")], []),
        ([("162.247.216.0", "162.247.219.255"), ("139.60.152.0", "139.60.155.255")], []),
        # Two adjacent halves together cover the block.
        (
            [
                ("162.247.216.0", "162.247.217.255"),
                ("162.247.218.0", "162.247.219.255"),
                ("139.60.152.0", "139.60.155.255"),
            ],
            [],
        ),
        # One address short at the top end.
        ([("162.247.216.0", "162.247.219.254"), ("139.60.152.0", "139.60.155.255")], ["162.247.216.0/22"]),
        ([("::", "ffff::")], list(QUALTRICS_RANGES)),
    ],
)
def test_coverage_of_required_blocks(ranges, missing):
    assert uncovered(ranges, QUALTRICS_RANGES) == missing


def test_cidr_errors_name_the_field():
    with pytest.raises(ValueError, match="additionalLoginIPRanges"):
        parse_cidr("10.0.0.0/33", "additionalLoginIPRanges")


def test_access_names_are_matched_case_insensitively_and_deduplicated():
    req = ObjectRequirement("Contact", ("viewall", "VIEWALL", "create"))
    assert req.access == ("ViewAll", "Create")
    assert FieldRequirement("Contact", "Email", "read").access == ("Read",)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ObjectRequirement("Contact", ("Everything",)), "objects[Contact].access"),
        (lambda: ObjectRequirement("Con tact", ("Read",)), "objects[].name"),
        (lambda: ObjectRequirement("Contact", ()), "objects[Contact].access"),
        (lambda: FieldRequirement("Contact", "Email", ("Create",)), "fields[Contact.Email].access"),
        (lambda: RecordTypeRequirement("Case", "Support Case"), "recordTypes[].developerName"),
        (lambda: Requirements(connected_app=" "), "connectedApp"),
    ],
)
def test_bad_requirements_name_the_field(build, field):
    with pytest.raises(ValueError) as caught:
        build()
    assert field in str(caught.value)
