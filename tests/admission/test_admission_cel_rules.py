"""x-kubernetes-validations: messages, reasons, fieldPath, transition rules and evaluation errors."""

import copy

import pytest
from admissionkit import displays

from qxo.admission import Admitter


def _schema(rules: list[dict], prop: dict | None = None) -> dict:
    return {
        "type": "object",
        "properties": {
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "x-kubernetes-validations": rules,
                "properties": prop
                or {
                    "a": {"type": "integer"},
                    "b": {"type": "integer"},
                    "name": {"type": "string"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
        },
    }


def _admit(rules, spec, old_spec=None, prop=None):
    admitter = Admitter(_schema(rules, prop))
    assert admitter.compile_errors == []
    obj = {"metadata": {"name": "x"}, "spec": spec}
    old = {"metadata": {"name": "x"}, "spec": old_spec} if old_spec is not None else None
    return displays(admitter.admit(obj, old))


CASES = [
    ("passes", {"rule": "self.a < self.b"}, {"a": 1, "b": 2}, []),
    (
        "default message",
        {"rule": "self.a < self.b"},
        {"a": 2, "b": 1},
        ['spec: Invalid value: "object": failed rule: self.a < self.b'],
    ),
    (
        "rule whitespace trimmed",
        {"rule": "  self.a < self.b\n"},
        {"a": 2, "b": 1},
        ['spec: Invalid value: "object": failed rule: self.a < self.b'],
    ),
    (
        "message",
        {"rule": "self.a < self.b", "message": "a must be below b"},
        {"a": 2, "b": 1},
        ['spec: Invalid value: "object": a must be below b'],
    ),
    (
        "messageExpression",
        {"rule": "self.a < self.b", "message": "static", "messageExpression": "'a is ' + string(self.a)"},
        {"a": 2, "b": 1},
        ['spec: Invalid value: "object": a is 2'],
    ),
    (
        "messageExpression error falls back",
        {"rule": "self.a < self.b", "message": "static", "messageExpression": "self.missing"},
        {"a": 2, "b": 1},
        ['spec: Invalid value: "object": static'],
    ),
    (
        "messageExpression blank falls back",
        {"rule": "self.a < self.b", "messageExpression": "'  '"},
        {"a": 2, "b": 1},
        ['spec: Invalid value: "object": failed rule: self.a < self.b'],
    ),
    (
        "fieldPath",
        {"rule": "self.a < self.b", "message": "too big", "fieldPath": ".a"},
        {"a": 2, "b": 1},
        ['spec.a: Invalid value: "object": too big'],
    ),
    (
        "fieldPath map key",
        {"rule": "'app' in self.labels", "message": "needs app", "fieldPath": ".labels['app']"},
        {"labels": {}},
        ['spec.labels[app]: Invalid value: "object": needs app'],
    ),
    (
        "reason Forbidden",
        {
            "rule": "!has(self.name)",
            "message": "name is set by the operator",
            "reason": "FieldValueForbidden",
            "fieldPath": ".name",
        },
        {"name": "x"},
        ["spec.name: Forbidden: name is set by the operator"],
    ),
    (
        "reason Required",
        {"rule": "has(self.name)", "message": "name is needed", "reason": "FieldValueRequired", "fieldPath": ".name"},
        {},
        ["spec.name: Required value: name is needed"],
    ),
    ("reason Duplicate", {"rule": "false", "reason": "FieldValueDuplicate"}, {}, ['spec: Duplicate value: "object"']),
    (
        "missing key is an evaluation error",
        {"rule": "self.a > 0"},
        {},
        ['spec: Invalid value: "object": no such key: a evaluating rule: self.a > 0'],
    ),
    (
        "division by zero",
        {"rule": "self.a / self.b > 0"},
        {"a": 1, "b": 0},
        ['spec: Invalid value: "object": division by zero evaluating rule: self.a / self.b > 0'],
    ),
    ("error absorbed by ||", {"rule": "self.a > 0 || true"}, {}, []),
    (
        "error absorbed by &&",
        {"rule": "self.a > 0 && false"},
        {},
        ['spec: Invalid value: "object": failed rule: self.a > 0 && false'],
    ),
    (
        "map key path in rules",
        {"rule": "self.labels.all(k, self.labels[k] != '')"},
        {"labels": {"a": ""}},
        ["spec: Invalid value: \"object\": failed rule: self.labels.all(k, self.labels[k] != '')"],
    ),
]


@pytest.mark.parametrize(("rule", "spec", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(rule, spec, expected):
    assert _admit([rule], spec) == expected


def test_transition_rule_is_skipped_on_create_and_checked_on_update():
    rule = {"rule": "self.name == oldSelf.name", "message": "name is immutable"}
    assert _admit([rule], {"name": "a"}) == []
    assert _admit([rule], {"name": "a"}, old_spec={"name": "a"}) == []
    assert _admit([rule], {"name": "b"}, old_spec={"name": "a"}) == ['spec: Invalid value: "object": name is immutable']


def test_optional_old_self_is_an_optional():
    rule = {
        "rule": "!oldSelf.hasValue() || self.a >= oldSelf.value().a",
        "optionalOldSelf": True,
        "message": "a may only grow",
    }
    assert _admit([rule], {"a": 1}) == []
    assert _admit([rule], {"a": 1}, old_spec={"a": 2}) == ['spec: Invalid value: "object": a may only grow']
    or_value = {"rule": "self.a >= oldSelf.orValue({'a': 0}).a", "optionalOldSelf": True}
    assert _admit([or_value], {"a": 1}) == []


def test_transition_rule_on_list_map_items_correlates_by_key(admitter, valid):
    old = copy.deepcopy(valid)
    valid["spec"]["accounts"] = [{"name": "new", "role": "Owner"}, {"name": "ana", "role": "Viewer"}]
    assert displays(admitter.admit(valid, old)) == [
        'spec.accounts[1]: Invalid value: "object": role can only be raised from Viewer'
    ]


def test_rule_with_message_expression_and_field_path_in_the_representative_schema(admitter, valid):
    valid["spec"]["sharing"] = {"mode": "Users", "users": []}
    assert displays(admitter.admit(valid)) == [
        "spec.sharing.users: Required value: sharing mode Users needs at least one user"
    ]


def test_immutable_brand_ref(admitter, valid):
    old = copy.deepcopy(valid)
    valid["spec"]["brandRef"] = {"name": "other"}
    assert displays(admitter.admit(valid, old)) == ['spec: Invalid value: "object": brandRef is immutable']


def test_rule_at_the_root_has_no_field():
    admitter = Admitter(
        {
            "type": "object",
            "x-kubernetes-validations": [
                {"rule": "self.metadata.name.startsWith('qx-')", "message": "name must start with qx-"}
            ],
        }
    )
    assert displays(admitter.admit({"metadata": {"name": "foo"}})) == [
        '<nil>: Invalid value: "object": name must start with qx-'
    ]


def test_root_rules_see_only_name_and_generate_name_of_metadata():
    admitter = Admitter({"type": "object", "x-kubernetes-validations": [{"rule": "has(self.metadata.labels)"}]})
    assert not admitter.admit({"metadata": {"name": "x", "labels": {"a": "b"}}}).allowed


def test_rules_below_a_blocking_error_are_skipped(admitter, valid):
    valid["spec"]["deletionPolicy"] = "Never"
    valid["spec"]["domains"] = ["https://ok.example.com"]
    valid["spec"]["sharing"] = {"mode": "Users", "users": []}
    result = displays(admitter.admit(valid))
    assert not any("needs at least one user" in line for line in result)
    assert result[-1].startswith('<nil>: Invalid value: "null": some validation rules were not checked')


def test_bad_rules_are_reported_at_compile_time_and_refused_at_admission():
    admitter = Admitter(_schema([{"rule": "self.a <"}, {"rule": "self.a.nope()"}]))
    assert len(admitter.compile_errors) == 2
    assert "compilation failed" in admitter.compile_errors[0]
    result = admitter.admit({"metadata": {"name": "x"}, "spec": {"a": 1}})
    assert [c.field for c in result.causes] == ["spec", "spec"]
    assert all("rule compile error" in c.message for c in result.causes)


def test_number_of_a_string_is_an_error_not_an_exception():
    assert _admit([{"rule": "self.name + 1 == 2"}], {"name": "x"}) == [
        'spec: Invalid value: "object": no such overload: string + int evaluating rule: self.name + 1 == 2'
    ]


def test_rules_see_schema_types_not_json_types():
    prop = {
        "expiresAt": {"type": "string", "format": "date-time"},
        "grace": {"type": "string", "format": "duration"},
        "ratio": {"type": "number"},
    }
    rules = [
        {"rule": "self.expiresAt > timestamp('2026-01-01T00:00:00Z')", "message": "expired"},
        {"rule": "self.grace <= duration('1h')", "message": "grace too long"},
        {"rule": "self.ratio / 2 == 1.5", "message": "number fields are doubles"},
    ]
    spec = {"expiresAt": "2026-11-21T23:00:00Z", "grace": "30m", "ratio": 3}
    assert _admit(rules, spec, prop=prop) == []
    spec = {"expiresAt": "2025-11-21T23:00:00Z", "grace": "2h", "ratio": 3}
    assert _admit(rules, spec, prop=prop) == [
        'spec: Invalid value: "object": expired',
        'spec: Invalid value: "object": grace too long',
    ]


def test_property_names_are_escaped_like_kubernetes_does():
    prop = {"dry-run": {"type": "boolean"}, "namespace": {"type": "string"}, "a.b": {"type": "string"}}
    rules = [{"rule": "!self.dry__dash__run || self.__namespace__ == self.a__dot__b"}]
    assert _admit(rules, {"dry-run": True, "namespace": "x", "a.b": "x"}, prop=prop) == []
    assert _admit([{"rule": "has(self.dry__dash__run)"}], {"dry-run": False}, prop=prop) == []
    assert len(_admit(rules, {"dry-run": True, "namespace": "x", "a.b": "y"}, prop=prop)) == 1


def test_evaluation_error_names_the_message_when_there_is_one():
    rule = {"rule": "self.a > 0", "message": "a must be positive"}
    assert _admit([rule], {}) == ['spec: Invalid value: "object": no such key: a evaluating rule: a must be positive']
