"""Status economy: a dependent waits silently while its dependency converges, and an object's
status is diffed against what its loop last wrote, not a body the watch has not caught up with.

Runtime-level: converging a grant only reaches its dependency check, so no server is needed.
"""

from __future__ import annotations

import pytest

from qxo.reconcile import runtime as runtime_module
from qxo.reconcile.conditions import State
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.outcome import Outcome
from qxo.reconcile.runtime import Runtime
from qxo.reconcile.status import WrittenStatuses, status_patch

NS = "qxo-demo"
GRANT = ObjectKey("AccountGrant", NS, "ticketing")
ACCOUNT = ObjectKey("ExtensionAccount", NS, "ticketing")


def grant_body() -> dict:
    return {"metadata": {"namespace": NS, "name": "ticketing", "generation": 1, "resourceVersion": "7"},
            "spec": {"accountRef": {"name": "ticketing"},
                     "users": [{"user": "ana.lima@acme.example", "access": "User"}]}}


def account_body(ready: bool | None = None) -> dict:
    body = {"metadata": {"namespace": NS, "name": "ticketing", "generation": 1, "resourceVersion": "5"},
            "spec": {"installRef": {"name": "webservice"}, "displayName": "Acme ticketing API",
                     "credentials": {"secretRef": {"name": "ticketing-credentials"}}}}
    if ready is not None:
        body["status"] = {"conditions": [{"type": "Ready", "status": str(ready)}]}
    return body


class NoSecrets:
    async def secret(self, namespace, name):
        raise AssertionError("a waiting grant reads no Secret")


@pytest.fixture
def rt() -> Runtime:
    runtime = Runtime(NoSecrets())
    runtime.saw("AccountGrant", grant_body())
    return runtime


async def test_a_dependent_of_a_dependency_still_converging_waits_silently(rt):
    rt.saw("ExtensionAccount", account_body())

    outcome = await rt.converge("AccountGrant", grant_body())

    assert outcome.deferred and outcome.verdict.reason == "WaitingForAccount"
    assert GRANT not in rt.verdicts  # nothing reported, so nothing to compare the next verdict with


async def test_a_dependency_that_converged_ready_but_is_not_ready_on_the_watch_yet_is_still_awaited(rt):
    rt.saw("ExtensionAccount", account_body())
    rt.verdicts[ACCOUNT] = State.READY

    assert (await rt.converge("AccountGrant", grant_body())).deferred


async def test_a_dependency_that_reported_a_problem_is_named_in_the_dependents_status(rt):
    rt.saw("ExtensionAccount", account_body(ready=False))
    rt.verdicts[ACCOUNT] = State.REFUSED

    outcome = await rt.converge("AccountGrant", grant_body())

    assert not outcome.deferred and outcome.state is State.WAITING
    assert outcome.verdict.message == "ExtensionAccount ticketing is not Ready yet"
    assert rt.verdicts[GRANT] is State.WAITING


async def test_a_missing_dependency_is_reported_at_once(rt):
    outcome = await rt.converge("AccountGrant", grant_body())

    assert not outcome.deferred and outcome.verdict.reason == "WaitingForAccount"


async def test_silence_is_bounded_then_waiting_is_reported(rt, monkeypatch):
    rt.saw("ExtensionAccount", account_body())
    clock = [1000.0]
    monkeypatch.setattr(runtime_module.time, "monotonic", lambda: clock[0])
    assert (await rt.converge("AccountGrant", grant_body())).deferred
    assert rt.wait_seconds(GRANT) == runtime_module.DEFER_GRACE_SECONDS  # the loop wakes by itself then

    clock[0] += runtime_module.DEFER_GRACE_SECONDS
    outcome = await rt.converge("AccountGrant", grant_body())

    assert not outcome.deferred and outcome.state is State.WAITING


async def test_a_dependency_reporting_a_problem_wakes_its_silent_dependents(rt):
    rt.saw("ExtensionAccount", account_body())
    assert (await rt.converge("AccountGrant", grant_body())).deferred
    await rt.wakeups.wait(GRANT, timeout=0)  # consume the wake of its first sight

    await rt.converge("ExtensionAccount", account_body())  # its install is missing: it reports Waiting

    assert rt.verdicts[ACCOUNT] is State.WAITING
    assert await rt.wakeups.wait(GRANT, timeout=0) is True


def test_a_status_written_but_not_yet_on_the_watch_is_not_written_again():
    statuses = WrittenStatuses()
    body = grant_body()
    waiting = Outcome.waiting("WaitingForAccount", "ExtensionAccount ticketing is not Ready yet")

    first = status_patch(body, waiting, statuses.previous(GRANT, body))
    assert first is not None
    statuses.wrote(GRANT, body, first)

    # The loop runs again on the same (stale) body: the same verdict needs no second write.
    assert status_patch(body, waiting, statuses.previous(GRANT, body)) is None


def test_a_newer_body_on_the_watch_is_the_truth_again():
    statuses = WrittenStatuses()
    body = grant_body()
    waiting = Outcome.waiting("WaitingForAccount", "ExtensionAccount ticketing is not Ready yet")
    statuses.wrote(GRANT, body, status_patch(body, waiting))

    # Someone cleared the status since (a newer resourceVersion): write it again.
    newer = {**body, "metadata": {**body["metadata"], "resourceVersion": "9"}, "status": {}}
    assert statuses.previous(GRANT, newer) == {}
    assert status_patch(newer, waiting, statuses.previous(GRANT, newer)) is not None


def test_the_transition_time_of_a_repeated_verdict_is_kept():
    statuses = WrittenStatuses()
    body = grant_body()
    waiting = Outcome.waiting("WaitingForAccount", "ExtensionAccount ticketing is not Ready yet")
    first = status_patch(body, waiting, statuses.previous(GRANT, body))
    statuses.wrote(GRANT, body, first)

    ready = status_patch(body, Outcome.ready(), statuses.previous(GRANT, body))

    stalled = {c["type"]: c for c in ready["conditions"]}["Stalled"]
    assert stalled["lastTransitionTime"] == {c["type"]: c for c in first["conditions"]}["Stalled"][
        "lastTransitionTime"]
