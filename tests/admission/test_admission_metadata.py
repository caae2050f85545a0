"""ObjectMeta checks with apimachinery's wording."""

import pytest
from admissionkit import displays

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
SKIPPED = (
    '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; '
    "correct the existing errors to complete validation"
)

CASES = [
    (
        "missing name",
        {"namespace": "acme"},
        ["metadata.name: Required value: name or generateName is required", SKIPPED],
    ),
    ("upper case name", {"name": "Survey"}, [f'metadata.name: Invalid value: "Survey": {SUBDOMAIN_MSG}']),
    (
        "long name",
        {"name": "a" * 254},
        [
            f'metadata.name: Invalid value: "{"a" * 254}": must be no more than 253 characters',
        ],
    ),
    ("dotted name is fine", {"name": "a.b-c"}, []),
    ("generateName", {"generateName": "survey-"}, []),
    ("bad namespace", {"name": "x", "namespace": "a.b"}, [f'metadata.namespace: Invalid value: "a.b": {LABEL_MSG}']),
    (
        "bad label key",
        {"name": "x", "labels": {"-x": "v"}},
        [f'metadata.labels: Invalid value: "-x": name part {QUALIFIED}'],
    ),
    (
        "bad label value",
        {"name": "x", "labels": {"app": "a b"}},
        [
            'metadata.labels: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric '
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
            "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        ],
    ),
    ("prefixed label", {"name": "x", "labels": {"qxo.dev/paused": "true"}}, []),
    (
        "bad annotation prefix",
        {"name": "x", "annotations": {"Bad_Prefix/x": "v"}},
        [f'metadata.annotations: Invalid value: "Bad_Prefix/x": prefix part {SUBDOMAIN_MSG}'],
    ),
    ("upper case annotation is fine", {"name": "x", "annotations": {"qxo.dev/External-ID": "42"}}, []),
]


@pytest.mark.parametrize(("metadata", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_metadata_rules(admitter, valid, metadata, expected):
    valid["metadata"] = metadata
    result = displays(admitter.admit(valid))
    assert result[: len(expected)] == expected
    assert len(result) == len(expected) or expected[-1] == SKIPPED or not expected


def test_metadata_of_the_wrong_type_is_a_cause_not_a_crash(admitter, valid):
    valid["metadata"] = ["x"]
    assert admitter.admit(valid).causes[0].field == "metadata"
    valid["metadata"] = {"name": 5, "labels": {"a": 1}}
    assert admitter.admit(valid).causes[0].field == "metadata.name"
