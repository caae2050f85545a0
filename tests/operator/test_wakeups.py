"""Wake-ups: a new key runs at once, wakes during a reconcile are kept, and dependents are found."""

import asyncio

from qxo.reconcile import wakeups as wakeups_module
from qxo.reconcile.index import ObjectIndex
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.registry import KINDS
from qxo.reconcile.relations import Relations
from qxo.reconcile.wakeups import Wakeups

KEY = ObjectKey("ExtensionAccount", "ns", "a")


async def test_new_key_is_due_then_waits():
    wakeups = Wakeups()
    assert await wakeups.wait(KEY, timeout=0.01) is True
    assert await wakeups.wait(KEY, timeout=0.01) is False


async def test_wake_during_work_is_not_lost():
    wakeups = Wakeups()
    await wakeups.wait(KEY, timeout=0.01)
    wakeups.wake(KEY)
    assert await wakeups.wait(KEY, timeout=5) is True


class Flag:
    """A stand-in for kopf's `stopped`: only its truth is read."""

    def __init__(self) -> None:
        self.set = False

    def __bool__(self) -> bool:
        return self.set


async def test_a_sleep_ends_at_the_sweep_after_its_stop_flag_is_set(monkeypatch):
    monkeypatch.setattr(wakeups_module, "STOP_SWEEP_SECONDS", 0.01)
    wakeups = Wakeups()
    await wakeups.wait(KEY, timeout=0.01)
    stop = Flag()
    with wakeups.stop_on(KEY, stop):
        waiter = asyncio.create_task(wakeups.wait(KEY, timeout=30))
        await asyncio.sleep(0.05)
        assert not waiter.done()  # read, not set: the sleep goes on
        stop.set = True
        assert await asyncio.wait_for(waiter, 5) is True


async def test_the_sweep_ends_with_the_last_loop_and_a_finished_loop_wakes_no_one(monkeypatch):
    monkeypatch.setattr(wakeups_module, "STOP_SWEEP_SECONDS", 0.01)
    wakeups = Wakeups()
    await wakeups.wait(KEY, timeout=0)
    stop = Flag()
    with wakeups.stop_on(KEY, stop):
        sweeper = wakeups._sweeper
    stop.set = True
    assert await wakeups.wait(KEY, timeout=0.05) is False
    await asyncio.wait_for(sweeper, 5)  # no loop left to watch


async def test_a_wake_ends_a_sleep_and_a_sleep_ends_at_its_timeout():
    wakeups = Wakeups()
    await wakeups.wait(KEY, timeout=0)
    sleeper = asyncio.create_task(wakeups.wait(KEY, timeout=30))
    await asyncio.sleep(0)
    wakeups.wake(KEY)
    assert await asyncio.wait_for(sleeper, 5) is True
    assert await wakeups.wait(KEY, timeout=0.01) is False  # consumed


async def test_a_wake_that_comes_as_the_sleep_is_cancelled_is_kept():
    wakeups = Wakeups()
    await wakeups.wait(KEY, timeout=0)
    sleeper = asyncio.create_task(wakeups.wait(KEY, timeout=30))
    await asyncio.sleep(0)
    wakeups.wake(KEY)
    sleeper.cancel()
    await asyncio.gather(sleeper, return_exceptions=True)
    assert await wakeups.wait(KEY, timeout=0) is True


async def test_a_forgotten_key_is_due_again():
    wakeups = Wakeups()
    await wakeups.wait(KEY, timeout=0)
    wakeups.forget(KEY)
    assert await wakeups.wait(KEY, timeout=0) is True


def index_of_the_table() -> ObjectIndex:
    """An index that reads references and claims off bodies as the kinds table says."""
    return Relations(secrets=None, kinds=KINDS).index


def test_dependents_follow_references_and_their_changes():
    index = index_of_the_table()
    account = {"metadata": {"namespace": "ns", "name": "a"},
               "spec": {"installRef": {"name": "i"}, "credentials": {"secretRef": {"name": "s"}}}}
    grant = {"metadata": {"namespace": "ns", "name": "g"}, "spec": {"accountRef": {"name": "a"}}}
    index.remember(KEY, account)
    index.remember(ObjectKey("AccountGrant", "ns", "g"), grant)
    install = ObjectKey("ExtensionInstall", "ns", "i")
    assert index.dependents(ObjectKey("Secret", "ns", "s")) == {KEY}
    assert index.dependents_transitive(install) == {KEY, ObjectKey("AccountGrant", "ns", "g")}
    account["spec"]["credentials"]["secretRef"]["name"] = "other"
    index.remember(KEY, account)
    assert index.dependents(ObjectKey("Secret", "ns", "s")) == set()
    index.forget(KEY)
    assert index.dependents(install) == set()



def test_many_dependents_of_one_object_come_and_go_one_by_one():
    index = index_of_the_table()
    install = ObjectKey("ExtensionInstall", "ns", "i")
    accounts = [ObjectKey("ExtensionAccount", "ns", f"a{n}") for n in range(3)]
    for key in accounts:
        index.remember(key, {"metadata": {"namespace": "ns", "name": key.name},
                             "spec": {"installRef": {"name": "i"}, "credentials": {"secretRef": {"name": "s"}}}})
    assert index.dependents(install) == set(accounts)
    index.remember(accounts[0], index.body(accounts[0]))  # seen again, unchanged: counted once
    assert index.dependents(install) == set(accounts)
    for gone in range(3):
        index.forget(accounts[gone])
        assert index.dependents(install) == set(accounts[gone + 1:])
    index.forget(accounts[0])  # forgotten twice: nothing to undo
    assert index.dependents(install) == set()

def test_installs_are_found_by_the_extension_they_declare_as_it_changes():
    index = index_of_the_table()
    brand = ObjectKey("QualtricsBrand", "ns", "acme")

    def install(name: str, extension_id: str, brand_name: str = "acme") -> dict:
        return {"metadata": {"namespace": "ns", "name": name},
                "spec": {"brandRef": {"name": brand_name}, "extensionId": extension_id}}

    first, second = ObjectKey("ExtensionInstall", "ns", "a"), ObjectKey("ExtensionInstall", "ns", "b")
    index.remember(first, install("a", "webservice"))
    index.remember(second, install("b", "webservice"))
    assert index.claimants("ExtensionInstall", (brand, "webservice")) == {first, second}

    index.remember(second, install("b", "salesforce"))  # its spec moved to another extension
    assert index.claimants("ExtensionInstall", (brand, "webservice")) == {first}
    assert index.claimants("ExtensionInstall", (brand, "salesforce")) == {second}

    index.remember(first, install("a", "webservice", brand_name="other"))  # or to another brand
    assert index.claimants("ExtensionInstall", (brand, "webservice")) == set()

    index.forget(second)
    assert index.claimants("ExtensionInstall", (brand, "salesforce")) == set()


def test_a_ca_bundle_ref_names_the_kind_it_says():
    """caBundleRef names a ConfigMap, or the Secret its `kind` says: a rotation of either wakes the brand."""
    index = index_of_the_table()
    brand = ObjectKey("QualtricsBrand", "ns", "acme")
    spec = {"credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "token"}}}
    index.remember(brand, {"metadata": {"namespace": "ns", "name": "acme"},
                           "spec": {**spec, "caBundleRef": {"kind": "Secret", "name": "ca"}}})
    assert index.dependents(ObjectKey("Secret", "ns", "ca")) == {brand}
    index.remember(brand, {"metadata": {"namespace": "ns", "name": "acme"},
                           "spec": {**spec, "caBundleRef": {"name": "ca"}}})
    assert index.dependents(ObjectKey("ConfigMap", "ns", "ca")) == {brand}
    assert index.dependents(ObjectKey("Secret", "ns", "ca")) == set()


def test_objects_of_a_kind_are_found_per_namespace_as_they_come_and_go():
    index = index_of_the_table()
    keys = [ObjectKey("ExtensionAccount", namespace, name) for namespace in ("team-a", "team-b") for name in "xy"]
    for key in keys:
        index.remember(key, {"metadata": {"namespace": key.namespace, "name": key.name}, "spec": {}})
    assert index.keys("ExtensionAccount", "team-a") == set(keys[:2])
    assert index.keys("ExtensionAccount") == set(keys)
    index.forget(keys[0])
    assert index.keys("ExtensionAccount", "team-a") == {keys[1]}
    index.forget(keys[1])
    assert index.keys("ExtensionAccount", "team-a") == set()
    assert index.keys("ExtensionAccount", "team-b") == set(keys[2:])
def test_an_object_refers_to_each_target_once_in_the_order_of_its_kinds_refs():
    """Kept per object as a small tuple (a frozenset is five times its size); a Secret named twice counts once."""
    index = index_of_the_table()
    brand = ObjectKey("QualtricsBrand", "ns", "acme")
    index.remember(brand, {"metadata": {"namespace": "ns", "name": "acme"},
                           "spec": {"credentials": {"apiTokenSecretRef": {"name": "s"},
                                                    "oauthClientSecretRef": {"name": "s"}},
                                    "caBundleRef": {"name": "ca"}}})
    assert index.references_of(brand) == (ObjectKey("Secret", "ns", "s"), ObjectKey("ConfigMap", "ns", "ca"))
    assert index.dependents(ObjectKey("Secret", "ns", "s")) == {brand}
