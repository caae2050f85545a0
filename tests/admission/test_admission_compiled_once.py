"""Rules and patterns are compiled when the Admitter is built, never while admitting."""

import copy

from admissionkit import SCHEMA, VALID

import qxo.admission.rules
import qxo.admission.schema
from qxo.admission import Admitter


def test_each_rule_is_compiled_once_per_admitter(mocker):
    compile_spy = mocker.spy(qxo.admission.rules, "compile_expression")
    admitter = Admitter(SCHEMA)
    compiled = compile_spy.call_count
    assert compiled == 5  # four rules plus one messageExpression
    obj = copy.deepcopy(VALID)
    for _ in range(20):
        admitter.admit(obj, old=copy.deepcopy(obj))
    obj["spec"]["sharing"] = {"mode": "Users", "users": []}
    assert not admitter.admit(obj).allowed
    assert compile_spy.call_count == compiled


def test_patterns_are_compiled_once(mocker):
    regex_spy = mocker.spy(qxo.admission.schema, "compile_go_regex")
    admitter = Admitter(SCHEMA)
    assert regex_spy.call_count == 2  # extensionId and the domain items
    regex_spy.reset_mock()
    obj = copy.deepcopy(VALID)
    for _ in range(5):
        admitter.admit(obj)
    assert regex_spy.call_count == 0
