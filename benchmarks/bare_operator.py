"""The baseline: a bare kopf operator with qxo's handler, finalizer and timer shape whose work is only Ready.

Per kind, like qxo/handlers/resources.py: an `on.event` handler, one `converge` timer per object
(interval 0.2 s, jittered start) and a non-optional `on.delete` handler, so kopf adds the same
finalizer and runs the same number of handlers per object. The timer writes Ready=True once for
each generation and then sleeps until stopped, as qxo's converge loop sleeps until woken; the
kopf settings are qxo's. Run: `python benchmarks/bare_operator.py --namespace NS`.
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


def _register(plural: str) -> None:
    @kopf.on.event(GROUP, VERSION, plural, id=f"{plural}-seen")
    async def seen(body: kopf.Body, **_) -> None:
        SEEN[(plural, body.meta.get("name") or "")] = body.meta.get("resourceVersion") or ""

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
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        patch.status["observedGeneration"] = body.meta.get("generation")
        patch.status["conditions"] = [{"type": "Ready", "status": "True", "reason": "Ready", "message": "bare",
                                       "lastTransitionTime": now, "observedGeneration": body.meta.get("generation")}]

    @kopf.on.delete(GROUP, VERSION, plural, id="finalize")
    async def finalize(**_) -> None:
        return None


for _plural in PLURALS:
    _register(_plural)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    try:
        asyncio.run(kopf.operator(namespaces=[args.namespace], standalone=True))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
