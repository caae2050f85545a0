"""Admission answers any JSON-ish input with causes, never an exception."""

import re

from admissionkit import SCHEMA, VALID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qxo.admission import Admitter

ADMITTER = Admitter(SCHEMA)
PYTHON_ERROR = re.compile(r"\b(TypeError|KeyError|AttributeError|ValueError|IndexError|RecursionError)\b")

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
spec_keys = st.sampled_from(
    [
        "brandRef",
        "extensionId",
        "deletionPolicy",
        "domains",
        "replicas",
        "weight",
        "enabled",
        "expiresAt",
        "note",
        "port",
        "settings",
        "extra",
        "sharing",
        "accounts",
        "unknown",
    ]
)
specs = st.dictionaries(spec_keys, json_values, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs, old_spec=st.none() | specs, metadata=json_values)
def test_random_specs_never_raise(spec, old_spec, metadata):
    obj = {**VALID, "metadata": metadata, "spec": spec}
    old = {**VALID, "spec": old_spec} if old_spec is not None else None
    result = ADMITTER.admit(obj, old)
    assert isinstance(result.object, dict)
    for cause in result.causes:
        assert cause.reason != "InternalError", cause
        assert cause.display().startswith(cause.field)


@settings(max_examples=100, deadline=None)
@given(obj=json_values)
def test_random_documents_never_raise(obj):
    result = ADMITTER.admit(obj, obj)
    assert all(cause.reason != "InternalError" for cause in result.causes)


# Near-valid specs get past the schema, so the CEL rules (including the transition ones) really run.
plausible_specs = st.fixed_dictionaries(
    {},
    optional={
        "deletionPolicy": st.sampled_from(["Delete", "Orphan", "Never"]),
        "domains": st.lists(
            st.sampled_from(["https://a.example.com", "https://b.example.com:*", "http://x"]), max_size=4
        ),
        "replicas": st.integers(-2, 12),
        "weight": st.floats(-1, 2, allow_nan=False),
        "expiresAt": st.sampled_from(["2026-11-21T23:00:00Z", "soon"]),
        "sharing": st.fixed_dictionaries(
            {},
            optional={"mode": st.sampled_from(["Brand", "Users"]), "users": st.lists(st.text(max_size=3), max_size=2)},
        ),
        "accounts": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["a", "b"])}, optional={"role": st.sampled_from(["Owner", "Viewer"])}
            ),
            max_size=3,
        ),
    },
)


@settings(max_examples=150, deadline=None)
@given(new=plausible_specs, old=st.none() | plausible_specs)
def test_near_valid_updates_never_raise(new, old):
    obj = {**VALID, "spec": {**VALID["spec"], **new}}
    previous = {**VALID, "spec": {**VALID["spec"], **old}} if old is not None else None
    result = ADMITTER.admit(obj, previous)
    for cause in result.causes:
        assert cause.reason != "InternalError", cause
        # rules may fail or err as CEL does (no such key), but never with a Python exception
        assert not PYTHON_ERROR.search(cause.message), cause
