"""The 422 Status and the cause rendering, shaped like apierrors.NewInvalid's."""

from qxo.admission import FieldCause, to_status
from qxo.admission.causes import go_float, go_value, invalid, required


def test_single_cause_status():
    cause = required("spec.brandRef")
    status = to_status(group="qxo.dev", kind="ExtensionInstall", name="foo", causes=[cause])
    assert status == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'ExtensionInstall.qxo.dev "foo" is invalid: spec.brandRef: Required value',
        "reason": "Invalid",
        "details": {
            "name": "foo",
            "group": "qxo.dev",
            "kind": "ExtensionInstall",
            "causes": [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.brandRef"}],
        },
        "code": 422,
    }


def test_several_causes_are_bracketed_and_duplicates_collapse():
    first = invalid("spec.domains[0]", "http://x", "must be https")
    second = required("spec.brandRef")
    status = to_status("qxo.dev", "ExtensionInstall", "foo", [first, second, first])
    assert status["message"] == (
        'ExtensionInstall.qxo.dev "foo" is invalid: '
        '[spec.domains[0]: Invalid value: "http://x": must be https, spec.brandRef: Required value]'
    )
    assert len(status["details"]["causes"]) == 3


def test_core_group_has_no_dot_and_no_causes_has_no_colon():
    assert to_status("", "ConfigMap", "x", [])["message"] == 'ConfigMap "x" is invalid'


def test_field_cause_is_frozen_and_displays_like_the_server():
    cause = FieldCause(field="spec.x", reason="FieldValueInvalid", message='Invalid value: "a": bad')
    assert cause.display() == 'spec.x: Invalid value: "a": bad'
    try:
        cause.field = "y"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("FieldCause must be immutable")


def test_values_render_like_go():
    assert go_value(None) == '"null"'  # field.Error renders a nil bad value as the string "null"
    assert go_value(True) == "true"
    assert go_value(3) == "3"
    assert go_value(1.0) == "1"
    assert go_value(1e6) == "1e+06"
    assert go_value(0.00001) == "1e-05"
    assert go_value('a"b\n') == '"a\\"b\\n"'
    # maps and lists as Go's %#v prints the decoded JSON
    assert go_value({"b": [1, 2.5], "a": "<x>"}) == 'map[string]interface {}{"a":"<x>", "b":[]interface {}{1, 2.5}}'
    assert go_float(123456.0) == "123456"
    assert go_float(-2.5) == "-2.5"
