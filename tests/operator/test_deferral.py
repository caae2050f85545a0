"""Status economy: a dependent waits silently while its dependency converges, and an object's
status is diffed against what its loop last wrote, not a body the watch has not caught up with.

Runtime-level: converging a grant only reaches its dependency check, so no server is needed.
"""

from __future__ import annotations

import time

import pytest

from qxo.kube.secrets import SecretData
from qxo.reconcile import runtime as runtime_module
from qxo.reconcile.conditions import State
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.outcome import Outcome
from qxo.reconcile.registry import KINDS
from qxo.reconcile.runtime import Runtime
from qxo.reconcile.status import WrittenStatuses, status_patch
from qxo.trust.endpoints import Allowlist

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
    runtime = Runtime(NoSecrets(), kinds=KINDS)
    runtime.saw("AccountGrant", grant_body())
    return runtime


async def test_a_dependent_of_a_dependency_still_converging_waits_silently(rt):
    rt.saw("ExtensionAccount", account_body())

    outcome = await rt.converge("AccountGrant", grant_body())

    assert outcome.deferred and outcome.verdict.reason == "WaitingForAccount"
    assert GRANT not in rt.verdicts  # nothing reported, so nothing to compare the next verdict with


async def test_a_dependency_goes_by_its_verdict_not_the_status_the_watch_has_not_delivered(rt):
    rt.saw("ExtensionAccount", account_body())  # the watch still shows no status
    rt.record_verdict(ACCOUNT, Outcome.ready(status={"externalId": "AC_1"}))

    assert rt.ready(ACCOUNT) and rt.status_of(ACCOUNT)["externalId"] == "AC_1"
    outcome = await rt.converge("AccountGrant", grant_body())
    assert not outcome.deferred and "is not Ready yet" not in outcome.verdict.message  # past the dependency


async def test_a_dependency_the_watch_shows_ready_but_whose_last_verdict_is_not_is_awaited(rt):
    rt.saw("ExtensionAccount", account_body(ready=True))
    rt.verdicts[ACCOUNT] = State.RETRYING

    outcome = await rt.converge("AccountGrant", grant_body())

    assert outcome.state is State.WAITING and not outcome.deferred


def test_readiness_follows_the_ready_condition_of_each_verdict(rt):
    rt.saw("ExtensionAccount", account_body(ready=True))
    for state, ready in ((State.READY, True), (State.DRIFTED, True), (State.PAUSED, True),
                         (State.WAITING, False), (State.REFUSED, False)):
        rt.verdicts[ACCOUNT] = state
        assert rt.ready(ACCOUNT) is ready, state
    del rt.verdicts[ACCOUNT]  # after a restart: the watch's Ready condition
    assert rt.ready(ACCOUNT)


async def test_a_dependency_converging_ready_wakes_its_dependents_at_once(rt):
    rt.saw("ExtensionAccount", account_body())
    assert (await rt.converge("AccountGrant", grant_body())).deferred
    await rt.wakeups.wait(GRANT, timeout=0)  # consume the wake of its first sight

    rt.record_verdict(ACCOUNT, Outcome.ready(status={"externalId": "AC_1"}))
    assert await rt.wakeups.wait(GRANT, timeout=0) is True

    # Its Ready then arriving on the watch tells the grant nothing new.
    rt.saw("ExtensionAccount", {**account_body(ready=True), "status": {
        "conditions": [{"type": "Ready", "status": "True"}], "externalId": "AC_1"}})
    assert await rt.wakeups.wait(GRANT, timeout=0) is False


async def test_a_dependency_that_reported_a_problem_is_named_in_the_dependents_status(rt):
    rt.saw("ExtensionAccount", account_body(ready=False))
    rt.verdicts[ACCOUNT] = State.REFUSED

    outcome = await rt.converge("AccountGrant", grant_body())

    assert not outcome.deferred and outcome.state is State.WAITING
    assert outcome.verdict.message == "ExtensionAccount ticketing is not Ready yet"
    assert rt.verdicts[GRANT] is State.WAITING


async def test_a_missing_dependency_is_reported_after_a_short_grace(rt, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(runtime_module.time, "monotonic", lambda: clock[0])
    assert (await rt.converge("AccountGrant", grant_body())).deferred  # it may be the next event
    assert rt.wait_seconds(GRANT) == runtime_module.MISSING_GRACE_SECONDS

    clock[0] += runtime_module.MISSING_GRACE_SECONDS
    outcome = await rt.converge("AccountGrant", grant_body())

    assert not outcome.deferred and outcome.verdict.reason == "WaitingForAccount"


async def test_a_missing_dependency_is_awaited_while_objects_of_its_kind_still_arrive(rt, monkeypatch):
    # At start-up the watch lists thousands of objects: a grant may converge long before its account's
    # event, while other accounts are still arriving. Reported only once accounts stop arriving.
    clock = [1000.0]
    monkeypatch.setattr(runtime_module.time, "monotonic", lambda: clock[0])
    assert (await rt.converge("AccountGrant", grant_body())).deferred
    for second in range(1, 11):  # another account every second, ten seconds long
        clock[0] = 1000.0 + second
        other = account_body()
        other["metadata"]["name"] = f"other-{second}"
        rt.saw("ExtensionAccount", other)
        assert (await rt.converge("AccountGrant", grant_body())).deferred
    # Unwoken, its loop looks again when it will have waited twice as long (its account's arrival wakes it).
    assert rt.wait_seconds(GRANT) == 10

    clock[0] += runtime_module.MISSING_GRACE_SECONDS
    outcome = await rt.converge("AccountGrant", grant_body())

    assert not outcome.deferred and outcome.verdict.reason == "WaitingForAccount"


async def test_a_missing_dependency_is_reported_within_the_silence_bound_however_busy_its_kind(rt, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(runtime_module.time, "monotonic", lambda: clock[0])
    assert (await rt.converge("AccountGrant", grant_body())).deferred
    clock[0] += runtime_module.DEFER_GRACE_SECONDS
    other = account_body()
    other["metadata"]["name"] = "just-arrived"
    rt.saw("ExtensionAccount", other)

    outcome = await rt.converge("AccountGrant", grant_body())

    assert not outcome.deferred and outcome.verdict.reason == "WaitingForAccount"


async def test_a_missing_dependency_appearing_wakes_its_silent_dependents_with_its_verdict(rt):
    assert (await rt.converge("AccountGrant", grant_body())).deferred
    await rt.wakeups.wait(GRANT, timeout=0)

    rt.saw("ExtensionAccount", account_body())  # listed, not converged yet: the grant would only wait again
    assert await rt.wakeups.wait(GRANT, timeout=0) is False

    rt.record_verdict(ACCOUNT, Outcome.ready(status={"externalId": "AC_1"}))
    assert await rt.wakeups.wait(GRANT, timeout=0) is True


async def test_a_missing_dependency_appearing_ready_wakes_its_silent_dependents(rt):
    assert (await rt.converge("AccountGrant", grant_body())).deferred
    await rt.wakeups.wait(GRANT, timeout=0)

    rt.saw("ExtensionAccount", account_body(ready=True))  # after a restart: Ready as its status says

    assert await rt.wakeups.wait(GRANT, timeout=0) is True


async def test_a_brand_appearing_not_ready_leaves_those_waiting_silently_below_it_asleep(rt):
    rt.saw("ExtensionInstall", {"metadata": {"namespace": NS, "name": "webservice", "generation": 1},
                                "spec": {"brandRef": {"name": "acme"}, "extensionId": "webservice"}})
    rt.saw("ExtensionAccount", account_body())
    assert (await rt.converge("AccountGrant", grant_body())).deferred
    for key in (GRANT, ACCOUNT):
        await rt.wakeups.wait(key, timeout=0)  # consume the wakes of their first sight

    rt.saw("QualtricsBrand", {"metadata": {"namespace": NS, "name": "acme", "generation": 1},
                              "spec": {"baseUrl": "https://acme.example", "tokenSecretRef": {"name": "acme"}}})

    assert await rt.wakeups.wait(GRANT, timeout=0) is False
    assert await rt.wakeups.wait(ACCOUNT, timeout=0) is True  # not waiting silently: told its brand is there


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

    rt.saw("ExtensionInstall", {"metadata": {"namespace": NS, "name": "webservice", "generation": 1},
                                "spec": {"brandRef": {"name": "acme"}, "extensionId": "webservice"}})
    rt.verdicts[ObjectKey("ExtensionInstall", NS, "webservice")] = State.REFUSED
    await rt.converge("ExtensionAccount", account_body())  # its install is refused: it reports Waiting

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


def test_what_was_written_is_let_go_once_the_watch_shows_a_newer_body(rt):
    """Held per object only until the watch catches up: at 10,000 objects a status each would stay."""
    body = grant_body()
    rt.statuses.wrote(GRANT, body, {"observedGeneration": 1})
    rt.saw("AccountGrant", body)  # the same body again (another handler's event): still ahead of it
    assert len(rt.statuses) == 1
    rt.saw("AccountGrant", {**body, "metadata": {**body["metadata"], "resourceVersion": "8"}})
    assert len(rt.statuses) == 0


def test_patches_written_on_one_body_all_hold_on_top_of_it():
    """Two writes before the watch catches up: a field only the first wrote still counts as written."""
    statuses = WrittenStatuses()
    body = {**grant_body(), "status": {"externalId": "AC_1", "users": 1}}
    statuses.wrote(GRANT, body, {"lastRotationTime": "2026-01-01T00:00:00Z", "observedGeneration": 1})
    statuses.wrote(GRANT, body, {"observedGeneration": 1, "users": 2})
    assert statuses.previous(GRANT, body) == {"externalId": "AC_1", "users": 2, "observedGeneration": 1,
                                              "lastRotationTime": "2026-01-01T00:00:00Z"}
    newer = {**body, "metadata": {**body["metadata"], "resourceVersion": "9"}}
    statuses.wrote(GRANT, newer, {"users": 3})  # a write on a newer body starts afresh
    assert statuses.previous(GRANT, newer) == {"externalId": "AC_1", "users": 3}


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


# -- a brand's observation wakes everything below it once, when the brand is Ready --

BRAND = ObjectKey("QualtricsBrand", NS, "acme")
INSTALL = ObjectKey("ExtensionInstall", NS, "webservice")


class TokenSecret:
    def __init__(self, token: str) -> None:
        self.token = token

    async def secret(self, namespace, name):
        from qxo.kube.secrets import SecretData
        return SecretData(name, "1", {"token": self.token})


def brand_body(base_url: str, *, ready: bool, refresh: str | None = None) -> dict:
    meta = {"namespace": NS, "name": "acme", "generation": 1, "resourceVersion": "3"}
    if refresh:
        meta["annotations"] = {"qxo.dev/refresh": refresh}
    body = {"metadata": meta,
            "spec": {"brandId": "acme", "baseURL": base_url,
                     "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "acme-api-token"}}}}
    if ready:
        body["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    return body


@pytest.fixture
async def brand_runtime(tmp_path):
    from qxo.sandbox.brand import BrandSandbox
    sandbox = BrandSandbox(str(tmp_path / "brand.db"))
    await sandbox.start()
    runtime = Runtime(TokenSecret(sandbox.admin_token), kinds=KINDS, allowlist=Allowlist.with_defaults(["127.0.0.1"]))
    install = {"metadata": {"namespace": NS, "name": "webservice", "generation": 1},
               "spec": {"brandRef": {"name": "acme"}, "extensionId": "webservice", "acceptTerms": True}}
    runtime.saw("ExtensionInstall", install)
    runtime.saw("ExtensionAccount", account_body())
    yield runtime, sandbox.base_url
    await runtime.close()
    await sandbox.stop()


async def woken(rt: Runtime, key: ObjectKey) -> bool:
    return await rt.wakeups.wait(key, timeout=0)


async def test_an_observation_wakes_the_tree_once_when_the_brand_converges_ready(brand_runtime):
    rt, url = brand_runtime
    rt.saw("QualtricsBrand", brand_body(url, ready=False))
    for key in (INSTALL, ACCOUNT, BRAND):
        await woken(rt, key)  # first sight

    # Ready by its verdict: the whole tree re-plans at once, before the watch shows the status...
    assert (await rt.converge("QualtricsBrand", brand_body(url, ready=False))).state is State.READY
    assert await woken(rt, INSTALL) and await woken(rt, ACCOUNT)

    # ...and the status arriving on the watch tells them nothing new.
    rt.saw("QualtricsBrand", brand_body(url, ready=True))
    assert not await woken(rt, INSTALL) and not await woken(rt, ACCOUNT)

    # Converging again on the same observation tells them nothing new.
    await rt.converge("QualtricsBrand", brand_body(url, ready=True))
    assert not await woken(rt, INSTALL) and not await woken(rt, ACCOUNT)

    # A new observation (here asked for by qxo.dev/refresh) is announced.
    refreshed = brand_body(url, ready=True, refresh="1")
    rt.saw("QualtricsBrand", refreshed)
    await rt.converge("QualtricsBrand", refreshed)
    assert await woken(rt, INSTALL) and await woken(rt, ACCOUNT)


async def test_an_object_waiting_silently_for_another_dependency_is_left_to_it(brand_runtime):
    rt, url = brand_runtime
    rt.saw("AccountGrant", grant_body())
    rt.saw("QualtricsBrand", brand_body(url, ready=False))
    assert (await rt.converge("AccountGrant", grant_body())).deferred  # its account has no verdict yet
    for key in (INSTALL, ACCOUNT, GRANT):
        await woken(rt, key)

    await rt.converge("QualtricsBrand", brand_body(url, ready=False))
    rt.saw("QualtricsBrand", brand_body(url, ready=True))

    assert await woken(rt, INSTALL) and await woken(rt, ACCOUNT)
    assert not await woken(rt, GRANT)  # its account's Ready, or its verdict, wakes it


async def test_a_dependency_being_deleted_is_not_ready_for_its_dependents(rt):
    """A dependency being deleted is undoing what it made (an uninstall takes the extension's accounts with it,
    a deleted account its access): a dependent converging meanwhile must wait, not write under it."""
    rt.saw("ExtensionAccount", account_body(ready=True))
    rt.record_verdict(ACCOUNT, Outcome.ready(status={"externalId": "AC_1"}))
    await rt.wakeups.wait(GRANT, timeout=0)
    assert rt.ready(ACCOUNT)

    going = account_body(ready=True)
    going["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    rt.saw("ExtensionAccount", going)

    assert not rt.ready(ACCOUNT)
    assert await rt.wakeups.wait(GRANT, timeout=0) is True  # told at once
    outcome = await rt.converge("AccountGrant", grant_body())
    assert outcome.state is State.WAITING and outcome.verdict.reason == "WaitingForAccount"


class OneSecret:
    """The API server's answer for a Secret the watch has not shown yet."""

    async def secret(self, namespace, name):
        return SecretData(name, "41", {"token": "FAKE-read-before-the-watch"})


async def test_a_secret_read_before_the_watch_showed_it_wakes_no_one_when_the_watch_brings_that_version():
    rt = Runtime(OneSecret(), kinds=KINDS)
    rt.saw("ExtensionAccount", account_body())
    assert await woken(rt, ACCOUNT)  # seen for the first time
    await rt.secrets.secret(NS, "ticketing-credentials")  # its converge outran the Secret watch's listing

    watched = {"metadata": {"namespace": NS, "name": "ticketing-credentials", "resourceVersion": "41",
                            "labels": {"qxo.dev/credentials": "true"}}, "type": "Opaque", "data": {}}
    rt.saw_secret(NS, "ticketing-credentials", "41", body=watched)
    assert not await woken(rt, ACCOUNT)  # nothing new: the version it used

    rt.saw_secret(NS, "ticketing-credentials", "42", body={**watched, "metadata": {**watched["metadata"],
                                                                                     "resourceVersion": "42"}})
    assert await woken(rt, ACCOUNT)  # rotated


async def test_a_secret_first_listed_by_the_watch_wakes_only_those_that_found_it_missing():
    class Missing:
        async def secret(self, namespace, name):
            return None

    rt = Runtime(Missing(), kinds=KINDS)
    rt.saw("ExtensionAccount", account_body())
    assert await woken(rt, ACCOUNT)
    watched = {"metadata": {"namespace": NS, "name": "other-credentials", "resourceVersion": "8",
                            "labels": {"qxo.dev/credentials": "true"}}, "type": "Opaque", "data": {}}
    rt.saw("ExtensionAccount", {**account_body(), "metadata": {**account_body()["metadata"], "name": "other"},
                                "spec": {**account_body()["spec"],
                                         "credentials": {"secretRef": {"name": "other-credentials"}}}})
    other = ObjectKey("ExtensionAccount", NS, "other")
    assert await woken(rt, other)
    rt.saw_secret(NS, "other-credentials", "8", body=watched)
    assert not await woken(rt, other)  # it has not read any version yet: it will read this one

    assert await rt.secrets.secret(NS, "ticketing-credentials") is None  # its converge found it missing
    rt.saw_secret(NS, "ticketing-credentials", "9",
                  body={**watched, "metadata": {**watched["metadata"], "name": "ticketing-credentials"}})
    assert await woken(rt, ACCOUNT)  # it appeared: the account can go on


async def test_a_ready_object_rests_on_its_slice_only_while_its_secret_is_on_the_watch(brand_runtime):
    """Without a Secret watch (RBAC may not allow one), a rotation reaches an account only through a brand
    resync's re-plan: the observation wakes it even when its slice of the brand is unchanged."""
    from qxo.reconcile.session import Slice
    rt, url = brand_runtime
    rt.saw("QualtricsBrand", brand_body(url, ready=False))
    await rt.converge("QualtricsBrand", brand_body(url, ready=False))
    rt.saw("QualtricsBrand", brand_body(url, ready=True))
    rt.record_verdict(ACCOUNT, Outcome.ready(rests_on=Slice("accounts", "EA_none", ("name",))))
    await woken(rt, ACCOUNT)
    assert not rt.rests(ACCOUNT)  # ticketing-credentials has not been on the watch

    refreshed = brand_body(url, ready=True, refresh="1")
    rt.saw("QualtricsBrand", refreshed)
    await rt.converge("QualtricsBrand", refreshed)
    assert await woken(rt, ACCOUNT)

    rt.saw_secret(NS, "ticketing-credentials", "7", body=None)
    assert rt.rests(ACCOUNT)
    refreshed = brand_body(url, ready=True, refresh="2")
    rt.saw("QualtricsBrand", refreshed)
    await rt.converge("QualtricsBrand", refreshed)
    assert not await woken(rt, ACCOUNT)  # its slice (no such account either time) is unchanged


# -- while the Secret watch lists, a Secret it has not shown yet is awaited, not read --

class CountedTokenSecret(TokenSecret):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.reads: list[str] = []

    async def secret(self, namespace, name):
        self.reads.append(name)
        return await super().secret(namespace, name)


@pytest.fixture
async def watching_runtime(tmp_path):
    from qxo.sandbox.brand import BrandSandbox
    sandbox = BrandSandbox(str(tmp_path / "brand.db"))
    await sandbox.start()
    source = CountedTokenSecret(sandbox.admin_token)
    runtime = Runtime(source, kinds=KINDS, allowlist=Allowlist.with_defaults(["127.0.0.1"]), secrets_watched=True)
    yield runtime, source, sandbox
    await runtime.close()
    await sandbox.stop()


def watched_token(token: str, name: str = "acme-api-token") -> dict:
    import base64
    return {"metadata": {"namespace": NS, "name": name, "resourceVersion": "1",
                         "labels": {"qxo.dev/credentials": "true"}},
            "type": "Opaque", "data": {"token": base64.b64encode(token.encode()).decode()}}


async def test_a_secret_the_listing_watch_has_not_shown_is_awaited_then_served_from_it(watching_runtime):
    rt, source, sandbox = watching_runtime
    body = brand_body(sandbox.base_url, ready=False)
    rt.saw("QualtricsBrand", body)
    await woken(rt, BRAND)

    assert (await rt.converge("QualtricsBrand", body)).deferred  # the watch is listing: no GET
    assert source.reads == []
    rt.saw_secret(NS, "acme-api-token", "1", body=watched_token(sandbox.admin_token))
    assert await woken(rt, BRAND)  # its Secret came: the brand goes on

    assert (await rt.converge("QualtricsBrand", body)).state is State.READY
    assert source.reads == []  # served from the watch


async def test_once_no_new_secret_arrives_for_the_grace_an_unseen_one_is_read(watching_runtime, monkeypatch):
    rt, source, sandbox = watching_runtime
    clock = [time.monotonic()]
    monkeypatch.setattr(runtime_module.time, "monotonic", lambda: clock[0])
    body = brand_body(sandbox.base_url, ready=False)
    rt.saw("QualtricsBrand", body)
    clock[0] += 3.0
    rt.saw_secret(NS, "other-credentials", "5", body=watched_token("x", "other-credentials"))  # still listing
    assert (await rt.converge("QualtricsBrand", body)).deferred
    assert rt.wait_seconds(BRAND) == runtime_module.MISSING_GRACE_SECONDS

    clock[0] += runtime_module.MISSING_GRACE_SECONDS  # the listing went quiet without it: read it

    assert (await rt.converge("QualtricsBrand", body)).state is State.READY
    assert source.reads == ["acme-api-token"]


async def test_without_a_secret_watch_secrets_are_read_at_once(brand_runtime):
    rt, url = brand_runtime
    body = brand_body(url, ready=False)
    rt.saw("QualtricsBrand", body)

    assert (await rt.converge("QualtricsBrand", body)).state is State.READY
async def test_an_unchanged_slice_is_held_from_the_latest_observation_not_the_one_before(brand_runtime):
    """An object resting on a slice held the values of the observation it converged on; after a resync that
    changed nothing for it they are the new observation's, so the old one is not kept alive per object."""
    from qxo.reconcile.session import Slice
    rt, url = brand_runtime
    rt.saw("QualtricsBrand", brand_body(url, ready=False))
    await rt.converge("QualtricsBrand", brand_body(url, ready=False))
    rt.saw("QualtricsBrand", brand_body(url, ready=True))
    rt.saw_secret(NS, "ticketing-credentials", "7", body=None)
    rt.record_verdict(ACCOUNT, Outcome.ready(rests_on=Slice("extensions", "jira", ("name", "default_domains"))))
    session = rt.sessions[BRAND]
    assert rt._rests_on[ACCOUNT][2][1] is session.state.extensions["jira"].default_domains
    await woken(rt, ACCOUNT)

    refreshed = brand_body(url, ready=True, refresh="1")
    rt.saw("QualtricsBrand", refreshed)
    await rt.converge("QualtricsBrand", refreshed)
    assert not await woken(rt, ACCOUNT)  # unchanged for it
    assert rt._rests_on[ACCOUNT][2][1] is session.state.extensions["jira"].default_domains  # the new one's
