"""What a spec alone can tell is refused before the object waits for anything, for every kind.

Runtime-level: none of these objects' dependencies exist, so without the check each would wait
(silently, then `Waiting…`) instead of naming its field.
"""

from __future__ import annotations

import pytest

from qxo.reconcile.conditions import State
from qxo.reconcile.registry import KINDS
from qxo.reconcile.runtime import Runtime

NS = "qxo-demo"


class NoSecrets:
    async def secret(self, namespace, name):
        raise AssertionError("a spec refused by itself reads no Secret")

    async def config_map(self, namespace, name):
        raise AssertionError("a spec refused by itself reads no ConfigMap")


def body(name: str, spec: dict, annotations: dict | None = None) -> dict:
    return {"metadata": {"namespace": NS, "name": name, "generation": 1, "annotations": annotations or {}},
            "spec": spec}


CASES = {
    "grant-user-twice-in-another-case": (
        "AccountGrant", body("ticketing", {"accountRef": {"name": "ticketing"}, "users": [
            {"user": "ana.lima@acme.example", "access": "User"}, {"user": "Ana.Lima@acme.example", "access": "User"}]}),
        "spec.users[1]:"),
    "install-enablement-user-twice": (
        "ExtensionInstall", body("webservice", {"brandRef": {"name": "acme"}, "extensionId": "webservice",
                                                "enablement": {"users": ["ana.lima@acme.example",
                                                                         "ANA.LIMA@acme.example"]}}),
        "spec.enablement.users[1]:"),
    "account-empty-external-id": (
        "ExtensionAccount", body("ticketing", {"installRef": {"name": "webservice"}, "displayName": "Acme",
                                               "credentials": {"secretRef": {"name": "ticketing-credentials"}}},
                                 {"qxo.dev/external-id": " "}),
        "metadata.annotations[qxo.dev/external-id]:"),
    "link-empty-external-id": (
        "SalesforceLink", body("ana", {"brandRef": {"name": "acme"}, "owner": "ana.lima@acme.example",
                                       "environment": "Sandbox", "oauth": {
                                           "clientSecretRef": {"name": "app"}, "refreshTokenSecretRef": {"name": "t"}}},
                               {"qxo.dev/external-id": ""}),
        "metadata.annotations[qxo.dev/external-id]:"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
async def test_a_spec_refused_by_itself_is_named_before_any_dependency_is_waited_for(case):
    kind, obj, field = CASES[case]
    rt = Runtime(NoSecrets(), kinds=KINDS)
    rt.saw(kind, obj)

    outcome = await rt.converge(kind, obj)

    assert (outcome.state, outcome.verdict.reason, outcome.deferred) == (State.REFUSED, "InvalidSpec", False)
    assert outcome.verdict.message.startswith(field), outcome.verdict.message


async def test_a_valid_spec_still_waits_for_its_dependency():
    rt = Runtime(NoSecrets(), kinds=KINDS)
    grant = body("ticketing", {"accountRef": {"name": "ticketing"},
                               "users": [{"user": "ana.lima@acme.example", "access": "User"}]})
    rt.saw("AccountGrant", grant)
    outcome = await rt.converge("AccountGrant", grant)
    assert outcome.deferred and outcome.verdict.reason == "WaitingForAccount"
