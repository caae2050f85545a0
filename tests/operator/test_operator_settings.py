"""The kopf settings and memo the operator starts with (`qxo.handlers.lifecycle.configure`)."""

from __future__ import annotations

import kopf

from qxo.handlers import lifecycle
from qxo.reconcile.wakeups import STOP_SWEEP_SECONDS
from qxo.trust.endpoints import Allowlist


async def test_start_up_inputs_go_into_the_runtime_and_the_memo_kopf_copies_keeps_only_it(monkeypatch):
    monkeypatch.setattr(lifecycle, "api_client", lambda: None)  # configure makes no API call
    allowlist = Allowlist.with_defaults(["127.0.0.1"])
    memo = kopf.Memo(allowlist=allowlist, platform_namespaces=("platform",), watched_namespaces=("team",),
                     secrets_watched=True)
    settings = kopf.OperatorSettings()
    await lifecycle.configure(settings=settings, memo=memo)
    # kopf copies this memo for every object it takes up: nothing but the runtime rides along.
    assert set(memo) == {"runtime"}
    runtime = memo.runtime
    assert runtime.allowlist is allowlist and runtime.watched == ("team",) and runtime.secrets_watched
    # A sleeping loop sees its stop flag at the next sweep: kopf waits longer than that before orphaning it.
    assert settings.background.instant_exit_timeout > STOP_SWEEP_SECONDS
    assert settings.queueing.idle_timeout == lifecycle.WORKER_IDLE_SECONDS < 5.0  # kopf's default is 5 s
