"""Patterns and CEL regex functions run on RE2, as the API server's Go regexp does: RE2-only syntax
works, and what RE2 refuses (look-arounds, back-references) is refused here too, naming the field."""

import pytest

from qxo.admission import Admitter
from qxo.admission.cel import compile_expression
from qxo.admission.cellib import CelError


def pattern_schema(pattern: str) -> dict:
    return {"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "v": {"type": "string", "pattern": pattern}}}}}


def admit(pattern: str, value: str):
    return Admitter(pattern_schema(pattern)).admit({"metadata": {"name": "x"}, "spec": {"v": value}})


@pytest.mark.parametrize(("pattern", "value", "allowed"), [
    ("^[[:alpha:]]+$", "Qualtrics", True),       # POSIX class inside brackets
    ("^[[:alpha:]]+$", "Qualtrics1", False),
    ("^[[:^digit:]]+$", "abc", True),
    ("^\\Qa.b\\E$", "a.b", True),                 # \Q...\E quotes metacharacters
    ("^\\Qa.b\\E$", "axb", False),
    ("^\\pL+$", "Ünïcödé", True),                 # Unicode classes
    ("^(?i)ACME$", "acme", True),
    ("^(?P<id>[A-Z]{2})_[0-9]+$", "UR_123", True),
])
def test_re2_only_syntax_works_in_a_crd_pattern(pattern, value, allowed):
    admitter = Admitter(pattern_schema(pattern))
    assert admitter.compile_errors == []
    assert admit(pattern, value).allowed is allowed


@pytest.mark.parametrize(("pattern", "refused"), [
    ("^(?=https://)[a-z:/.]+$", "(?="),            # look-ahead
    ("^(?!http:)[a-z:/.]+$", "(?!"),               # negative look-ahead
    ("^.*(?<=\\.example)$", "(?<"),                # look-behind
    ("^(a)\\1$", "\\1"),                           # back-reference
    ("^a\\Z", "\\Z"),                              # Python's end anchor; RE2 has \z
])
def test_what_re2_refuses_makes_the_crd_pattern_a_compile_error_naming_it(pattern, refused):
    errors = Admitter(pattern_schema(pattern)).compile_errors
    assert len(errors) == 1
    assert errors[0].startswith("openAPIV3Schema.properties[spec].properties[v].pattern: error parsing regexp:")
    assert refused in errors[0]


def test_a_refused_pattern_does_not_reject_values_it_cannot_check():
    # The server would refuse the CRD itself; admission reports that and never crashes on objects.
    assert admit("^(?=a)a$", "a").allowed


@pytest.mark.parametrize(("expression", "expected"), [
    ("'Qualtrics'.matches('^[[:alpha:]]+$')", True),
    ("'a.b'.matches('^\\\\Qa.b\\\\E$')", True),
    ("'axb'.matches('^\\\\Qa.b\\\\E$')", False),
    ("'abc\\n'.matches('^[a-z]+$')", False),
    ("'UR_1 GR_2'.findAll('[A-Z]{2}_[0-9]') == ['UR_1', 'GR_2']", True),
    ("'ÄÖ'.find('[[:^ascii:]]+') == 'ÄÖ'", True),
])
def test_cel_regex_functions_speak_re2(expression, expected):
    assert compile_expression(expression)({}) is expected


@pytest.mark.parametrize("pattern", ["(?=a)", "(?<!a)b", "(a)\\\\1"])
def test_cel_matches_refuses_a_look_around_or_back_reference(pattern):
    with pytest.raises(CelError) as caught:
        compile_expression(f"'a'.matches('{pattern}')")({})
    assert "invalid regex" in str(caught.value) and "error parsing regexp" in str(caught.value)


def test_a_pathological_pattern_stays_linear():
    # (a+)+$ against a long non-matching string is exponential on a backtracking engine.
    result = admit("^(a+)+$", "a" * 50_000 + "!")
    assert not result.allowed
