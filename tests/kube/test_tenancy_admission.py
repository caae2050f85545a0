"""The kube sandbox answers qxo's ValidatingAdmissionPolicies as the API server does, from the shared table.

The same table runs against the real API server in tests/realcluster/test_real_tenancy_admission.py; the
probe of ValidatingAdmissionPolicy's own semantics there holds the answers this file expects.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qxo.api.admission_policy import documents as admission_policies
from qxo.sandbox.kube import KubeSandbox
from tenancycases import (
    CASES,
    PROBE,
    PROBE_CASES,
    PROBE_NAMESPACES,
    PROBE_PARAMS,
    Rest,
    admission_answer,
    answer,
    platform_documents,
    probe_before,
    probe_grant,
)

CRDS = Path(__file__).resolve().parents[2] / "crds"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rest(tmp_path_factory):
    kubeconfig = tmp_path_factory.mktemp("tenancy") / "kubeconfig"
    with KubeSandbox.run_in_thread(kubeconfig_path=kubeconfig) as handle:
        client = Rest(handle.kubeconfig_path)
        crds = [yaml.safe_load(path.read_text()) for path in sorted(CRDS.glob("qxo.dev_*.yaml"))]
        client.ensure(crds + admission_policies() + platform_documents())
        yield client


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_request_gets_the_verdict_of_qxo_api_policy(rest, case):
    expected = admission_answer(case)
    assert answer(*rest.create(case.body)) == (None if expected is None else (422, expected))


def test_a_refusal_is_a_422_status_shaped_as_the_servers(rest):
    refused = next(case for case in CASES if case.id == "grant-all-users")
    code, status = rest.create(refused.body)
    assert (code, status["kind"], status["reason"], status["code"]) == (422, "Status", "Invalid", 422)
    assert status["details"] == {"name": "c1", "group": "qxo.dev", "kind": "accountgrants",
                                 "causes": [{"message": status["message"].split(" is forbidden: ", 1)[1]}]}


def test_only_spec_changes_are_judged_so_finalizers_and_annotations_always_pass(rest):
    # Admitted before the policy said no (here: in a namespace the policy does not select, then relabelled).
    grant = {"apiVersion": "qxo.dev/v1alpha1", "kind": "AccountGrant",
             "metadata": {"name": "late", "namespace": "tn-team-bronze"},
             "spec": {"accountRef": {"name": "late"}, "allUsers": {}}}
    assert rest.create(grant, dry_run=False)[0] == 201
    path = rest.url + "/apis/qxo.dev/v1alpha1/namespaces/tn-team-bronze/accountgrants/late"
    merge = {"Content-Type": "application/merge-patch+json"}
    relabel = rest.session.patch(rest.url + "/api/v1/namespaces/tn-team-bronze", headers={
        "Content-Type": "application/merge-patch+json"}, json={"metadata": {"labels": {"qxo-test/tier": "gold"}}})
    assert relabel.status_code == 200
    try:
        finalizer = rest.session.patch(path, headers=merge, json={"metadata": {"finalizers": ["qxo.dev/finalizer"],
                                                                               "annotations": {"a": "b"}}})
        assert finalizer.status_code == 200, finalizer.text
        spec = rest.session.patch(path, headers=merge, json={"spec": {"users": [{"user": "ana@acme.example"}]}})
        assert spec.status_code == 422 and "(spec.access.allUsers)" in spec.json()["message"]
        released = rest.session.patch(path, headers=merge, json={"metadata": {"finalizers": None}})
        assert released.status_code == 200, released.text
    finally:
        rest.session.patch(rest.url + "/api/v1/namespaces/tn-team-bronze", headers={
            "Content-Type": "application/merge-patch+json"}, json={"metadata": {"labels": {"qxo-test/tier": "bronze"}}})
        rest.delete(grant)


def test_the_probe_of_validating_admission_policy_semantics(rest):
    rest.ensure(PROBE_NAMESPACES + PROBE)
    try:
        before = [answer(*rest.create(body)) for body, _ in PROBE_CASES]
        rest.ensure([PROBE_PARAMS])
        after = [answer(*rest.create(body)) for body, _ in PROBE_CASES]
        assert before == [probe_before(body) for body, _ in PROBE_CASES]
        assert after == [expected for _, expected in PROBE_CASES]
    finally:
        for body in (PROBE_PARAMS, *PROBE):
            rest.delete(body)


def test_a_warn_binding_admits_with_a_warning_header(rest):
    policy, binding = PROBE
    warn = {**binding, "metadata": {"name": "tn-warn"},
            "spec": {**binding["spec"], "policyName": "tn-warn", "validationActions": ["Warn"]}}
    rest.ensure([*PROBE_NAMESPACES, {**policy, "metadata": {"name": "tn-warn"}}, warn, PROBE_PARAMS])
    try:
        body = probe_grant("nomsg")
        response = rest.session.post(rest.url + "/apis/qxo.dev/v1alpha1/namespaces/tn-probe/accountgrants",
                                     params={"dryRun": "All"}, json=body)
        assert response.status_code == 201
        assert "Validation failed for ValidatingAdmissionPolicy 'tn-warn' with binding 'tn-warn': failed " \
               "expression: object.metadata.name != 'nomsg'" in response.headers.get("Warning", "")
    finally:
        for doc in (warn, {**policy, "metadata": {"name": "tn-warn"}}, PROBE_PARAMS):
            rest.delete(doc)
