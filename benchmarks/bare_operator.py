"""The baseline: a bare kopf operator with qxo's handler, finalizer and timer shape whose work is only Ready.

Per kind, like qxo/handlers/resources.py: an `on.event` handler, one `converge` timer per object
(interval 0.2 s, jittered start) and a non-optional `on.delete` handler, so kopf adds the same
finalizer and runs the same number of handlers per object. The timer writes Ready=True once for
each generation and then sleeps until stopped, as qxo's converge loop sleeps until woken; the
kopf settings are qxo's, but for two the baseline leaves at kopf's defaults: how long a stopped
timer may take to exit (qxo's loop reads its stop flag once a second) and how long an object's
worker outlives its last event (qxo shortens it to hold less memory). Run:
`python benchmarks/bare_operator.py --namespace NS`.

`--shape` runs the same work in the other shapes qxo's loop could have (benchmarks/handler_shapes.py
compares them): `daemon`, one `@kopf.daemon` per object that never returns and so writes its status
through its own API client (kopf applies a daemon's patch only when it returns, and a daemon that
returned is not started again); `handlers`, `on.create`/`on.update`/`on.resume` writing Ready through
kopf's patch, with kopf's diff-base, which on.update needs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
from datetime import UTC, datetime

import kopf

GROUP, VERSION = "qxo.dev", "v1alpha1"
PLURALS = ("qualtricsbrands", "extensioninstalls", "extensionaccounts", "accountgrants", "salesforcelinks")
SEEN: dict[tuple[str, str], str] = {}
WRITTEN: set[tuple[str, str, int]] = set()  # (plural, name, generation) whose Ready was written


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, **_) -> None:
    settings.persistence.finalizer = "qxo.dev/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="qxo.dev")
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(prefix="qxo.dev")
    settings.watching.server_timeout = 600
    settings.watching.client_timeout = 660
    settings.watching.inactivity_timeout = 900
    settings.posting.level = logging.INFO
    settings.networking.error_backoffs = [1, 2, 5, 10, 30]


def _ready(body: kopf.Body) -> bool:
    status = body.get("status") or {}
    return status.get("observedGeneration") == body.meta.get("generation") and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())


@kopf.on.event("", "v1", "secrets", id="secrets-seen")
async def secret_seen(body: kopf.Body, **_) -> None:
    SEEN[("secrets", body.meta.get("name") or "")] = body.meta.get("resourceVersion") or ""


def _ready_status(body: kopf.Body) -> dict:
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"observedGeneration": body.meta.get("generation"),
            "conditions": [{"type": "Ready", "status": "True", "reason": "Ready", "message": "bare",
                            "lastTransitionTime": now, "observedGeneration": body.meta.get("generation")}]}


def _register(plural: str, shape: str) -> None:
    @kopf.on.event(GROUP, VERSION, plural, id=f"{plural}-seen")
    async def seen(body: kopf.Body, **_) -> None:
        SEEN[(plural, body.meta.get("name") or "")] = body.meta.get("resourceVersion") or ""

    @kopf.on.delete(GROUP, VERSION, plural, id="finalize")
    async def finalize(**_) -> None:
        return None

    if shape == "daemon":
        _register_daemon(plural)
    elif shape == "handlers":
        _register_handlers(plural)
    else:
        _register_timer(plural)


def _register_handlers(plural: str) -> None:
    @kopf.on.resume(GROUP, VERSION, plural, id="converge")
    @kopf.on.create(GROUP, VERSION, plural, id="converge")
    @kopf.on.update(GROUP, VERSION, plural, id="converge")
    async def converge(body: kopf.Body, patch: kopf.Patch, **_) -> None:
        if not _ready(body) and not body.meta.get("deletionTimestamp"):
            patch.status.update(_ready_status(body))


def _register_daemon(plural: str) -> None:
    from kubernetes import config as k8s_config

    from qxo.kube.config import call_json

    api = k8s_config.new_client_from_config()
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{{namespace}}/{plural}/{{name}}/status"

    @kopf.daemon(GROUP, VERSION, plural, id="converge", initial_delay=lambda **_: random.uniform(0, 0.5))
    async def converge(body: kopf.Body, stopped: kopf.DaemonStopped, **_) -> None:
        # Never returns while the object lives: its status goes out through its own client, as qxo's would.
        while not stopped:
            written = (plural, body.meta.get("name") or "", body.meta.get("generation") or 0)
            if not _ready(body) and written not in WRITTEN and not body.meta.get("deletionTimestamp"):
                WRITTEN.add(written)
                params = {"namespace": body.meta.get("namespace") or "", "name": body.meta.get("name") or ""}
                await asyncio.to_thread(call_json, api, "PATCH", path, params, {"status": _ready_status(body)},
                                        "application/merge-patch+json")
            await stopped.wait(600)


def _register_timer(plural: str) -> None:
    @kopf.timer(GROUP, VERSION, plural, id="converge", interval=0.2,
                initial_delay=lambda **_: random.uniform(0, 0.5))
    async def converge(body: kopf.Body, patch: kopf.Patch, stopped: kopf.DaemonStopped, **_) -> None:
        if body.meta.get("deletionTimestamp"):
            return
        written = (plural, body.meta.get("name") or "", body.meta.get("generation") or 0)
        if _ready(body) or written in WRITTEN:
            # Like qxo's loop between wake-ups: sleep, and never re-write what was written.
            await stopped.wait(600)
            return
        WRITTEN.add(written)
        patch.status.update(_ready_status(body))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--shape", choices=("timer", "daemon", "handlers"), default="timer",
                        help="the per-object handler shape (default: qxo's, a timer that sleeps until woken)")
    args = parser.parse_args()
    for plural in PLURALS:
        _register(plural, args.shape)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    try:
        asyncio.run(kopf.operator(namespaces=[args.namespace], standalone=True))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
