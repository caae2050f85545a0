"""Operator start-up and shutdown: kopf settings chosen on purpose, and the shared runtime in `memo`."""

from __future__ import annotations

import logging
import os

import kopf

from qxo.kube.config import api_client
from qxo.kube.namespace import own_namespace
from qxo.kube.objects import KubeObjects
from qxo.kube.secrets import CREDENTIALS_LABEL, KubeSecrets
from qxo.reconcile.registry import KINDS
from qxo.reconcile.runtime import Runtime
from qxo.reconcile.wakeups import STOP_SWEEP_SECONDS
from qxo.trust.endpoints import DEFAULT

# How long an object's kopf worker outlives its last watch event (settings.queueing.idle_timeout).
WORKER_IDLE_SECONDS = 2.0


class NoDiffBase(kopf.DiffBaseStorage):
    """qxo keeps no "last handled configuration" on its objects.

    kopf compares it with each event's body to call on.create, on.update and on.resume handlers.
    qxo has none (its converge loop compares the spec with the brand, and observedGeneration
    records what it handled), yet kopf would write it into every object: one patch, and one watch
    event to process, per object. Every body reads as unchanged here, so deletion (seen from
    deletionTimestamp and the finalizer) is the only change kopf acts on.
    """

    def build(self, *, body: kopf.Body, extra_fields: object = None) -> dict:
        return {}

    def fetch(self, *, body: kopf.Body) -> dict:
        return {}

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: object) -> None:
        return None


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_) -> None:
    # qxo's state never mixes with another kopf operator's.
    settings.persistence.finalizer = "qxo.dev/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="qxo.dev")
    settings.persistence.diffbase_storage = NoDiffBase()
    # Watches: the server closes them every 10 minutes; a silent stream is abandoned after 15.
    settings.watching.server_timeout = 600
    settings.watching.client_timeout = 660
    settings.watching.inactivity_timeout = 900
    settings.watching.connect_timeout = 30
    # Events: Normal ones for every remote change and Warning ones for refusals.
    settings.posting.level = logging.INFO
    settings.networking.error_backoffs = [1, 2, 5, 10, 30]
    settings.queueing.worker_limit = int(os.environ.get("QXO_WORKER_LIMIT", "0")) or None
    # An object's kopf worker (a task, its queue of watch events) lives on this long after its last event:
    # kopf's 5 s keeps nearly every worker alive at once while thousands of objects converge (about 30 MB
    # of peak RSS at 10,000 objects); 2 s still spans the gap between a converge's patch and its echo.
    settings.queueing.idle_timeout = WORKER_IDLE_SECONDS
    # A converge loop asleep notices kopf's `stopped` at the next sweep (reconcile/wakeups.py): kopf must wait
    # that long for it to exit, or it would leave the timer orphaned with a warning when the operator exits.
    settings.background.instant_exit_timeout = 2 * STOP_SWEEP_SECONDS + 1
    # The Secret watch (--watch-secrets) asks the API server for opted-in Secrets only: the others never
    # reach the process, and one losing the label leaves the selection (a DELETED event, so it is forgotten).
    settings.watching.label_selectors["", "v1", "secrets"] = f"{CREDENTIALS_LABEL}=true"
    # Where credentials may go comes from the command line (`qxo operator --allow-endpoint`), never an object.
    # kopf gives every object a copy of this memo: the start-up inputs go into the runtime, and only it stays.
    api = api_client()
    memo.runtime = Runtime(KubeSecrets(api), kinds=KINDS, lister=KubeObjects(api),
                           allowlist=memo.pop("allowlist", None) or DEFAULT,
                           platform_namespaces=memo.pop("platform_namespaces", None) or (own_namespace(),),
                           watched=memo.pop("watched_namespaces", None),
                           secrets_watched=memo.pop("secrets_watched", False))


@kopf.on.cleanup()
async def close_clients(memo: kopf.Memo, **_) -> None:
    runtime = getattr(memo, "runtime", None)
    if runtime is not None:
        await runtime.close()


@kopf.on.probe(id="brands")
def connected_brands(memo: kopf.Memo, **_) -> int:
    """Cheap and never raising: how many brand sessions are connected."""
    runtime = getattr(memo, "runtime", None)
    return len(runtime.sessions) if runtime is not None else 0
