"""Conditions follow kstatus, keep lastTransitionTime while unchanged, and steady state patches nothing."""

from qxo.reconcile.conditions import Conditions, State, Verdict, render
from qxo.reconcile.outcome import Outcome
from qxo.reconcile.status import status_patch


def by_type(conditions):
    return {c["type"]: c for c in conditions}


def test_ready_outcome():
    conditions = by_type(render(Conditions(Verdict(State.READY, "Synced", "ok")).as_list(), None, 3, now="T1"))
    assert conditions["Ready"]["status"] == "True"
    assert conditions["Synced"]["status"] == "True"
    assert conditions["Reconciling"]["status"] == "False"
    assert conditions["Stalled"]["status"] == "False"
    assert all(c["observedGeneration"] == 3 for c in conditions.values())


def test_waiting_is_reconciling_and_refusal_is_stalled():
    waiting = by_type(render(Conditions(Verdict(State.WAITING, "WaitingForBrand", "m")).as_list(), None, 1))
    assert (waiting["Ready"]["status"], waiting["Reconciling"]["status"], waiting["Stalled"]["status"]) == \
        ("False", "True", "False")
    assert waiting["Ready"]["reason"] == "WaitingForBrand"
    refused = by_type(render(Conditions(Verdict(State.REFUSED, "TermsNotAccepted", "m")).as_list(), None, 1))
    assert (refused["Ready"]["status"], refused["Stalled"]["status"]) == ("False", "True")


def test_paused_keeps_ready_as_it_was_and_says_so_under_synced():
    before = render(Conditions(Verdict(State.READY, "Synced", "ok")).as_list(), None, 1, now="T1")
    after = by_type(render(Conditions(Verdict(State.PAUSED, "Paused", "p")).as_list(), before, 1, now="T2"))
    assert after["Ready"]["status"] == "True"
    assert after["Synced"] == {**after["Synced"], "status": "False", "reason": "Paused"}


def test_transition_time_moves_only_when_status_changes():
    first = render(Conditions(Verdict(State.READY, "Synced", "ok")).as_list(), None, 1, now="T1")
    second = by_type(render(Conditions(Verdict(State.READY, "Synced", "ok again")).as_list(), first, 2, now="T2"))
    assert second["Ready"]["lastTransitionTime"] == "T1"
    third = by_type(render(Conditions(Verdict(State.RETRYING, "BrandUnavailable", "x")).as_list(), first, 2,
                           now="T3"))
    assert third["Ready"]["lastTransitionTime"] == "T3"


def test_steady_state_writes_no_status():
    body = {"metadata": {"generation": 4}, "status": {}}
    outcome = Outcome.ready(status={"installed": True})
    patch = status_patch(body, outcome)
    assert patch is not None and patch["observedGeneration"] == 4
    body["status"] = patch
    assert status_patch(body, Outcome.ready(status={"installed": True})) is None
