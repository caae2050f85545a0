"""Admission answers any JSON-ish input with causes, never an exception."""

from conftest import SCHEMA, VALID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qxo.admission import Admitter

ADMITTER = Admitter(SCHEMA)

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
