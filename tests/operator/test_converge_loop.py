"""The converge timer's loop itself: what it holds while it sleeps, and that kopf's stop ends it."""

from __future__ import annotations

import asyncio

import kopf
from kopf._cogs.aiokits.aioenums import FlagSetter

import qxo.handlers.resources  # noqa: F401  (registers the handlers)
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.registry import KINDS
from qxo.reconcile.runtime import Runtime

KEY = ObjectKey("AccountGrant", "ns", "g")
BODY = {"apiVersion": "qxo.dev/v1alpha1", "kind": "AccountGrant",
        "metadata": {"namespace": "ns", "name": "g", "uid": "u1", "generation": 1, "resourceVersion": "5"},
        "spec": {"accountRef": {"name": "a"}}}


def converge_handler():
    """The `converge` timer registered for AccountGrant (kopf keeps no public listing of handlers)."""
    handlers = kopf.get_default_registry()._spawning.get_all_handlers()
    return next(h.fn for h in handlers if h.id == "converge" and h.selector.any_name == "accountgrants")


async def test_a_sleeping_loop_holds_no_dict_of_kopfs_other_kwargs_and_ends_when_kopf_stops_it():
    runtime = Runtime(None, kinds=KINDS)
    runtime.wakeups._idle.add(KEY)  # converged already: the loop goes straight to sleep
    stopper = FlagSetter()
    loop = asyncio.create_task(converge_handler()(
        body=kopf.Body(BODY), patch=kopf.Patch(), stopped=stopper.async_waiter, memo=kopf.Memo(runtime=runtime),
        retry=0, logger=None, spec={}, meta={}, status={}, uid="u1", name="g", namespace="ns", labels={},
        annotations={}, started=None, runtime=None, param=None, resource=None))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not loop.done()
    frame_locals = loop.get_coro().cr_frame.f_locals
    assert "body" in frame_locals and "_" not in frame_locals  # ~20 kwargs, a dict per sleeping object

    stopper.set()
    await asyncio.wait_for(loop, 5)
    assert not runtime.wakeups._sleeping  # nothing left waiting
