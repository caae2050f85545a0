"""Structural schema violations, each worded as the API server words it."""

import pytest
from admissionkit import displays

from qxo.admission import Admitter

RULES_SKIPPED = (
    '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; '
    "correct the existing errors to complete validation"
)


def _set(spec_changes: dict):
    def apply(obj: dict) -> None:
        for key, value in spec_changes.items():
            if value is _DELETE:
                del obj["spec"][key]
            else:
                obj["spec"][key] = value

    return apply


_DELETE = object()

CASES = [
    (
        "enum",
        {"deletionPolicy": "Foo"},
        ['spec.deletionPolicy: Unsupported value: "Foo": supported values: "Delete", "Orphan"', RULES_SKIPPED],
    ),
    ("required", {"extensionId": _DELETE}, ["spec.extensionId: Required value", RULES_SKIPPED]),
    (
        "pattern",
        {"domains": ["http://x"]},
        [
            'spec.domains[0]: Invalid value: "http://x": spec.domains[0] in body should match '
            "'^https://[a-z0-9*.-]+(:[0-9*]+)?$'",
            "spec: Invalid value: \"object\": failed rule: self.domains.all(d, d.startsWith('https://'))",
        ],
    ),
    (
        "too many items",
        {"domains": [f"https://d{i}.example.com" for i in range(101)]},
        ["spec.domains: Too many: 101: must have at most 100 items", RULES_SKIPPED],
    ),
    (
        "wrong type",
        {"extensionId": 5},
        [
            'spec.extensionId: Invalid value: "integer": spec.extensionId in body must be of type string: "integer"',
            RULES_SKIPPED,
        ],
    ),
    (
        "too long",
        {"brandRef": {"name": "x" * 64}},
        ["spec.brandRef.name: Too long: may not be more than 63 bytes", RULES_SKIPPED],
    ),
    (
        "too short",
        {"brandRef": {"name": ""}},
        ['spec.brandRef.name: Invalid value: "": spec.brandRef.name in body should be at least 1 chars long'],
    ),
    (
        "minimum",
        {"replicas": 0},
        ["spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1"],
    ),
    (
        "maximum",
        {"replicas": 11},
        ["spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"],
    ),
    (
        "exclusive maximum",
        {"weight": 1},
        ["spec.weight: Invalid value: 1: spec.weight in body should be less than 1"],
    ),
    ("integer for number", {"weight": 0}, []),
    (
        "fraction for integer",
        {"replicas": 1.5},
        [
            'spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"',
            RULES_SKIPPED,
        ],
    ),
    ("whole float for integer", {"replicas": 2.0}, []),
    (
        "boolean",
        {"enabled": "yes"},
        [
            'spec.enabled: Invalid value: "string": spec.enabled in body must be of type boolean: "string"',
            RULES_SKIPPED,
        ],
    ),
    (
        "date-time",
        {"expiresAt": "tomorrow"},
        [
            'spec.expiresAt: Invalid value: "tomorrow": spec.expiresAt in body must be of type date-time: "tomorrow"',
            RULES_SKIPPED,
        ],
    ),
    ("date-time ok", {"expiresAt": "2026-11-21T23:00:00Z"}, []),
    ("nullable null kept", {"note": None}, []),
    ("int-or-string int", {"port": 443}, []),
    ("int-or-string string", {"port": "https"}, []),
    (
        "int-or-string other",
        {"port": True},
        [
            'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
            RULES_SKIPPED,
        ],
    ),
    (
        "map value",
        {"settings": {"a": "123456789"}},
        ["spec.settings.a: Too long: may not be more than 8 bytes", RULES_SKIPPED],
    ),
    (
        "max properties",
        {"settings": {"a": "1", "b": "2", "c": "3", "d": "4"}},
        ["spec.settings: Too many: 4: must have at most 3 items", RULES_SKIPPED],
    ),
    (
        "set duplicate",
        {"domains": ["https://a.example.com", "https://a.example.com"]},
        ['spec.domains[1]: Duplicate value: "https://a.example.com"'],
    ),
    (
        "map-list duplicate key",
        {"accounts": [{"name": "ana"}, {"name": "ana", "role": "Owner"}]},
        ['spec.accounts[1]: Duplicate value: map[string]interface {}{"name":"ana"}'],
    ),
    (
        "list item type",
        {"accounts": ["ana"]},
        [
            'spec.accounts[0]: Invalid value: "string": spec.accounts[0] in body must be of type object: "string"',
            RULES_SKIPPED,
        ],
    ),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_schema_violation_is_worded_like_the_api_server(admitter, valid, change, expected):
    _set(change)(valid)
    assert displays(admitter.admit(valid)) == expected


def test_non_nullable_null_is_dropped_then_required_applies(admitter, valid):
    valid["spec"]["extensionId"] = None
    result = admitter.admit(valid)
    assert "extensionId" not in result.object["spec"]
    assert displays(result)[0] == "spec.extensionId: Required value"


def test_non_nullable_null_with_default_gets_the_default(admitter, valid):
    valid["spec"]["deletionPolicy"] = None
    result = admitter.admit(valid)
    assert result.object["spec"]["deletionPolicy"] == "Delete"
    assert result.allowed


def test_null_list_item_is_a_type_error(admitter, valid):
    valid["spec"]["domains"] = [None]
    assert displays(admitter.admit(valid))[0] == (
        'spec.domains[0]: Invalid value: "null": spec.domains[0] in body must be of type string: "null"'
    )


def test_root_must_be_an_object(admitter):
    result = admitter.admit(["not", "an", "object"])
    assert [c.reason for c in result.causes] == ["FieldValueTypeInvalid"]
    assert result.object == {}


def test_embedded_resource_needs_kind_and_api_version():
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "template": {
                        "type": "object",
                        "x-kubernetes-embedded-resource": True,
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            }
        },
    }
    admitter = Admitter(schema)
    obj = {"metadata": {"name": "x"}, "spec": {"template": {"metadata": {"name": "y", "extra": 1}}}}
    result = admitter.admit(obj)
    assert displays(result) == [
        "spec.template.apiVersion: Required value: must not be empty",
        "spec.template.kind: Required value: must not be empty",
    ]
    assert result.object["spec"]["template"]["metadata"] == {"name": "y", "extra": 1}


def test_minimum_items_and_properties():
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "list": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                    "map": {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}},
                },
            }
        },
    }
    result = Admitter(schema).admit({"metadata": {"name": "x"}, "spec": {"list": [], "map": {}}})
    assert displays(result) == [
        "spec.list: Invalid value: 0: spec.list in body should have at least 1 items",
        "spec.map: Invalid value: 0: spec.map in body should have at least 1 properties",
    ]


def test_kind_and_api_version_are_checked_for_a_crd():
    from admissionkit import VALID, crd

    admitter = Admitter.for_crd(crd(), "v1alpha1")
    assert admitter.admit(VALID).allowed
    wrong = {**VALID, "kind": "Other", "apiVersion": "qxo.dev/v1"}
    assert displays(admitter.admit(wrong)) == [
        'kind: Invalid value: "Other": must be ExtensionInstall',
        'apiVersion: Invalid value: "qxo.dev/v1": must be qxo.dev/v1alpha1',
    ]


def test_for_crd_refuses_an_unknown_version():
    from admissionkit import crd

    with pytest.raises(KeyError):
        Admitter.for_crd(crd(), "v9")


def test_a_type_error_does_not_hide_checks_of_the_values_own_kind(admitter, valid):
    valid["spec"]["replicas"] = 0.5
    assert displays(admitter.admit(valid))[:2] == [
        'spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"',
        "spec.replicas: Invalid value: 0.5: spec.replicas in body should be greater than or equal to 1",
    ]


def _junctor_admitter() -> Admitter:
    return Admitter(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "port": {
                            "x-kubernetes-int-or-string": True,
                            "anyOf": [{"type": "integer"}, {"type": "string"}],
                        },
                        "code": {"type": "string", "oneOf": [{"pattern": "^a"}, {"pattern": "b$"}]},
                        "tag": {"type": "string", "not": {"enum": ["latest"]}},
                        "size": {"type": "integer", "allOf": [{"minimum": 1}, {"maximum": 5}]},
                    },
                }
            },
        }
    )


def test_any_of_one_of_all_of_and_not():
    admitter = _junctor_admitter()
    ok = {"metadata": {"name": "x"}, "spec": {"port": "https", "code": "ax", "tag": "v1", "size": 3}}
    assert admitter.admit(ok).allowed
    bad = {"metadata": {"name": "x"}, "spec": {"port": True, "code": "ab", "tag": "latest", "size": 9}}
    assert displays(admitter.admit(bad)) == [
        'spec.port: Invalid value: "": spec.port in body must validate at least one schema (anyOf)',
        'spec.port: Invalid value: "boolean": spec.port in body must be of type integer: "boolean"',
        'spec.code: Invalid value: "": spec.code in body must validate one and only one schema (oneOf)',
        'spec.tag: Invalid value: "": spec.tag in body must not validate the schema (not)',
        'spec.size: Invalid value: "": spec.size in body must validate all the schemas (allOf)',
        "spec.size: Invalid value: 9: spec.size in body should be less than or equal to 5",
    ]


@pytest.mark.parametrize(
    ("fmt", "good", "bad"),
    [
        ("date-time", "2026-11-21T23:00:00.5+01:00", "2026-13-01T00:00:00Z"),
        ("date", "2026-02-28", "2026-02-30"),
        ("uri", "https://acme.example.com/x?y=1", "acme.example.com"),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567"),
        ("ipv4", "192.0.2.1", "192.0.2.256"),
        ("ipv6", "2001:db8::1", "2001:db8::g"),
        ("cidr", "203.0.113.0/24", "203.0.113.0"),
        ("byte", "aGVsbG8=", "not base64!"),
        ("hostname", "api.acme.example", "-bad-.example"),
        ("duration", "1h30m", "forever"),
        ("no-such-format", "anything", None),
    ],
)
def test_formats(fmt, good, bad):
    schema = {
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"v": {"type": "string", "format": fmt}}}},
    }
    admitter = Admitter(schema)
    assert admitter.admit({"metadata": {"name": "x"}, "spec": {"v": good}}).allowed
    if bad is not None:
        assert displays(admitter.admit({"metadata": {"name": "x"}, "spec": {"v": bad}}))[0] == (
            f'spec.v: Invalid value: "{bad}": spec.v in body must be of type {fmt}: "{bad}"'
        )


def test_schema_problems_are_listed_without_refusing_to_build():
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"v": {"type": "string", "pattern": "(unclosed"}},
                "x-kubernetes-validations": [
                    {"rule": "true", "fieldPath": "not a path"},
                    {"rule": "true", "reason": "FieldValueTooLong"},
                    {"rule": "true", "messageExpression": "'unclosed"},
                ],
            }
        },
    }
    admitter = Admitter(schema)
    assert [error.split(":")[0] for error in admitter.compile_errors] == [
        "openAPIV3Schema.properties[spec].properties[v].pattern",
        "openAPIV3Schema.properties[spec].x-kubernetes-validations[0].fieldPath",
        "openAPIV3Schema.properties[spec].x-kubernetes-validations[1].reason",
        "openAPIV3Schema.properties[spec].x-kubernetes-validations[2].messageExpression",
    ]
    assert admitter.admit({"metadata": {"name": "x"}, "spec": {"v": "a"}}).allowed


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("^[a-z]+$", "abc", True),
        ("^[a-z]+$", "abc\n", False),  # Python's $ would accept the trailing newline; RE2's does not
        ("^[a-z]+\\z", "abc\n", False),
        ("^\\d+$", "١٢٣", False),  # RE2's \d is ASCII only
        ("^\\w+$", "\u0430pi", False),  # a Cyrillic look-alike a is not a word character for RE2
        ("^[$]+$", "$$", True),
        ("(?m)^a$", "b\na", True),
        ("^[]a]+$", "]a", True),
    ],
)
def test_patterns_follow_re2(pattern, value, matches):
    schema = {
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"v": {"type": "string", "pattern": pattern}}}},
    }
    result = Admitter(schema).admit({"metadata": {"name": "x"}, "spec": {"v": value}})
    assert result.allowed is matches
