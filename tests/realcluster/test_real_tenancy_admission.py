"""The tenancy rules at admission on the real API server: the shipped ValidatingAdmissionPolicies, the same table
the kube sandbox answers (tests/kube/test_tenancy_admission.py), and the probe of the semantics both rely on.

Every request is a server-side dry run, and each answer is compared whole (HTTP code and message) with what
qxo.api.policy says, so the API server, the sandbox and the pure module are held to the same words.
"""

from __future__ import annotations

import json
import time

import pytest

from qxo.api.admission_policy import documents as admission_policies
from realclusterkit import ROOT
from tenancycases import (
    CASES,
    POLICIES,
    PROBE,
    PROBE_CASES,
    PROBE_NAMESPACES,
    PROBE_PARAMS,
    Rest,
    admission_answer,
    answer,
    namespace_documents,
    platform_documents,
    probe_before,
)

pytestmark = pytest.mark.e2e


def eventually(check, timeout: float = 60.0):
    """The API server's admission sees new policies and parameters through informers: a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="module")
def rest(real_cluster):
    real_cluster.kubectl("apply", "-k", str(ROOT / "manifests" / "policy"))
    client = Rest(str(real_cluster.admin_kubeconfig))
    client.ensure(platform_documents())
    refused = next(case for case in CASES if case.id == "install-unlisted")
    eventually(lambda: _assert_refused(client, refused))
    yield client
    for body in [*POLICIES, platform_documents()[len(namespace_documents())]]:
        client.delete(body)
    for body in namespace_documents():
        client.delete(body)


def _assert_refused(client: Rest, case) -> None:
    assert answer(*client.create(case.body)) == (422, admission_answer(case))


def test_the_installed_policies_are_what_qxo_generates(real_cluster, rest):
    for doc in admission_policies():
        plural = {"ValidatingAdmissionPolicy": "validatingadmissionpolicies",
                  "ValidatingAdmissionPolicyBinding": "validatingadmissionpolicybindings"}[doc["kind"]]
        live = json.loads(real_cluster.kubectl("get", plural, doc["metadata"]["name"], "-o", "json").stdout)["spec"]
        for key in ("validations", "variables", "matchConditions", "paramKind", "failurePolicy", "paramRef",
                    "policyName", "validationActions"):
            assert live.get(key) == doc["spec"].get(key), (doc["metadata"]["name"], key)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_request_gets_the_verdict_of_qxo_api_policy(rest, case):
    expected = admission_answer(case)
    assert answer(*rest.create(case.body)) == (None if expected is None else (422, expected))


def test_the_probe_of_validating_admission_policy_semantics(rest):
    rest.ensure(PROBE_NAMESPACES + PROBE)
    try:
        eventually(lambda: _assert_answers(rest, [probe_before(body) for body, _ in PROBE_CASES]))
        rest.ensure([PROBE_PARAMS])
        eventually(lambda: _assert_answers(rest, [expected for _, expected in PROBE_CASES]))
    finally:
        for body in (PROBE_PARAMS, *PROBE, *PROBE_NAMESPACES):
            rest.delete(body)


def _assert_answers(client: Rest, expected: list) -> None:
    assert [answer(*client.create(body)) for body, _ in PROBE_CASES] == expected
