"""Memory per watched object: what the operator holds for each, structure by structure.

    python benchmarks/memory.py --objects 10000 [--json]

A small real convergence (20 resources through the brand sandbox, the kube sandbox and `qxo
operator`, then the same 20 under benchmarks/bare_operator.py) gives the bodies the API server
returns for each kind once Ready, and the brand's listings as an observation reads them. This
process then builds N objects' worth of each structure from those samples with the operator's own
code (the workload of benchmarks/converge.py: 1 brand, N/5 installs, 2N/5 accounts with their
Secrets, 2N/5 grants) and reports what each holds per object: the Python memory tracemalloc sees
allocated while building it and still held afterwards. Peak RSS is larger than the sum (pymalloc
arenas, transients, the interpreter): benchmarks/converge.py measures that.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gc
import json
import sys
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kopf
from kopf._cogs.aiokits.aioenums import FlagSetter

import harness
import qxo.handlers.resources  # noqa: F401  (registers the converge timers measured below)
import workload
from harness import BrandSandbox, Cluster, KubeSandbox, Process, ReadyWatch
from qxo.observability.conditions import ConditionsCollector
from qxo.qualtrics.models import Account, BrandSnapshot, Extension
from qxo.reconcile.keys import ObjectKey
from qxo.reconcile.outcome import Outcome
from qxo.reconcile.registry import KINDS
from qxo.reconcile.runtime import Runtime
from qxo.reconcile.session import BrandState

HERE = Path(__file__).resolve().parent
SAMPLE = 20
KINDS_MEASURED = ("ExtensionInstall", "ExtensionAccount", "AccountGrant")


def held(build: Callable[[], Any]) -> tuple[int, Any]:
    """Bytes allocated by `build` and still held once it returned (what it built stays referenced)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, kept


# -- samples from a small real convergence -------------------------------------------------------------

def converged_bodies(workdir: Path, bare: bool) -> dict[str, list[dict[str, Any]]]:
    """The bodies of a 20-resource workload once every resource is Ready, by kind (and Secrets)."""
    brand = BrandSandbox(workdir, extra_extensions=SAMPLE).start() if not bare else None
    kube = KubeSandbox(workdir, name="bare-kube" if bare else "kube").start()
    cluster = Cluster(kube)
    env = {"KUBECONFIG": str(kube.kubeconfig)}
    argv = [sys.executable, str(HERE / "bare_operator.py"), "--namespace", harness.NAMESPACE] if bare else \
        harness.qxo_operator("--namespace", harness.NAMESPACE)
    operator = Process(argv, workdir / ("bare-operator.log" if bare else "qxo-operator.log"), env=env)
    try:
        work = workload.generate(SAMPLE, brand.url if brand else "http://127.0.0.1:9",
                                 brand.token if brand else "FAKE-token", budget=None, resync="600s")
        cluster.prepare()
        cluster.create(work.documents)
        watch = ReadyWatch(cluster, work.keys).start()
        operator.start()
        if not watch.wait(120):
            raise RuntimeError(f"{'bare' if bare else 'qxo'}: not Ready after 120 s: {watch.missing()[:5]}")
        watch.close()
        bodies = {kind: cluster.list(kind) for kind in ("QualtricsBrand", *KINDS_MEASURED)}
        secrets = cluster.api.sanitize_for_serialization(cluster.core.list_namespaced_secret(harness.NAMESPACE))
        bodies["Secret"] = [s for s in secrets["items"] if s["metadata"]["name"].endswith("-credentials")]
        if brand is not None:
            bodies["extensions"] = brand.paged("/brands/acme/extensions?include=domains,enablement")
            bodies["accounts"] = brand.paged("/brands/acme/accounts?include=access")
        return bodies
    finally:
        operator.stop()
        cluster.close()
        kube.process.stop()
        if brand is not None:
            brand.process.stop()


def scaled(samples: list[dict[str, Any]], documents: list[dict[str, Any]]) -> list[str]:
    """A body per document of the workload, as JSON text: a sample's, with the document's name and spec (so
    references name what they name in the workload) and a uid of its own."""
    texts = []
    for i, document in enumerate(documents):
        body = copy.deepcopy(samples[i % len(samples)])
        body["metadata"].update(name=document["metadata"]["name"], uid=str(uuid.uuid4()))
        if "spec" in document:
            body["spec"] = {**body["spec"], **document["spec"]}
        texts.append(json.dumps(body))
    return texts


def listed(samples: list[dict[str, Any]], count: int) -> list[str]:
    """`count` elements of a brand listing as JSON text, ids and names made unique."""
    texts = []
    for i in range(count):
        element = copy.deepcopy(samples[i % len(samples)])
        element.update(id=f"{element['id']}-{i}", name=f"{element['name']} {i}")
        texts.append(json.dumps(element))
    return texts


# -- what each structure holds per object ---------------------------------------------------------------

def measure(objects: int, qxo_samples: dict[str, list], bare_samples: dict[str, list]) -> dict[str, Any]:
    work = workload.generate(objects, "http://127.0.0.1:9", "FAKE-token", budget=None, resync="600s")
    documents = {kind: [d for d in work.documents if d["kind"] == kind] for kind in (*KINDS_MEASURED, "Secret")}
    documents["Secret"] = [d for d in documents["Secret"] if d["metadata"]["name"].endswith("-credentials")]
    per_kind = {kind: len(documents[kind]) for kind in KINDS_MEASURED}
    watched = sum(per_kind.values())
    result: dict[str, Any] = {"objects": watched, "by_kind": per_kind, "secrets": len(documents["Secret"])}

    # 1. The body kopf keeps for each object (decoded from the watch, as kopf decodes it).
    for name, samples in (("qxo", qxo_samples), ("bare", bare_samples)):
        texts = {kind: scaled(samples[kind], documents[kind]) for kind in KINDS_MEASURED}
        result[f"{name}_body_bytes"] = {kind: round(held(lambda t=t: [json.loads(x) for x in t])[0] / len(t))
                                        for kind, t in texts.items()}
    bodies = {kind: [json.loads(x) for x in scaled(qxo_samples[kind], documents[kind])] for kind in KINDS_MEASURED}
    secrets = [json.loads(x) for x in scaled(qxo_samples["Secret"], documents["Secret"])]
    # kopf's own per-object pieces the operator is handed, made before measuring (kopf holds them either way)
    views = {kind: [kopf.Body(body) for body in items] for kind, items in bodies.items()}

    # 2. qxo's relations: the index, verdicts, what dependents were told, Secrets, conditions for metrics.
    runtime = Runtime(None, kinds=KINDS)
    collector = ConditionsCollector()

    def relate() -> None:
        for kind, items in views.items():
            for body in items:
                runtime.saw(kind, body)
        for body in secrets:
            meta = body["metadata"]
            runtime.saw_secret(meta["namespace"], meta["name"], meta["resourceVersion"], body=body)
        for kind, items in bodies.items():
            for body in items:
                key = ObjectKey.of(kind, body)
                status = {k: v for k, v in body["status"].items() if k not in ("conditions", "observedGeneration")}
                runtime._reconciled[key] = runtime.fingerprint(body)  # what a converge records first
                runtime.record_verdict(key, Outcome.ready(status=status))
                collector.record(kind, f"{key.namespace}/{key.name}", body["status"]["conditions"])
    result["relations_bytes_per_object"] = round(held(relate)[0] / watched)

    # 3. Statuses written but not yet on the watch (held per object only while the watch lags); the patch
    # itself is made before measuring, as a converge makes it whether or not it is kept.
    patches = [(ObjectKey.of(kind, body), body, dict(body["status"])) for kind, items in bodies.items()
               for body in items]

    def written() -> None:
        for key, body, patch in patches:
            runtime.statuses.wrote(key, body, patch)
    result["written_status_bytes_per_object"] = round(held(written)[0] / watched)

    # 4. The converge loop asleep between wake-ups, and bare kopf's timer asleep (`await stopped.wait(600)`).
    kwargs = [dict(body=body, patch=kopf.Patch(), stopped=FlagSetter().async_waiter, memo=kopf.Memo(runtime=runtime),
                   retry=0, logger=None, spec=body.spec, meta=body.meta, status=body.status, uid=None, name=None,
                   namespace=None, labels=None, annotations=None, started=None, runtime=None, param=None,
                   resource=None) for items in views.values() for body in items]
    kinds = [kind for kind, items in views.items() for _ in items]
    result["qxo_sleeping_loop_bytes"] = round(asyncio.run(sleeping(qxo_timer, kinds, kwargs, runtime)) / watched)
    result["bare_sleeping_timer_bytes"] = round(asyncio.run(sleeping(bare_timer, kinds, kwargs, runtime)) / watched)

    # 5. The brand's observation, per remote thing (an installed extension, an account with its access).
    extensions = listed([e for e in qxo_samples["extensions"] if e.get("installed")], per_kind["ExtensionInstall"])
    accounts = listed(qxo_samples["accounts"], per_kind["ExtensionAccount"])

    def observe() -> BrandState:
        return BrandState.of(BrandSnapshot(extensions=tuple(Extension.model_validate_json(e) for e in extensions),
                                           accounts=tuple(Account.model_validate_json(a) for a in accounts)))
    result["observation_bytes_per_entry"] = round(held(observe)[0] / (len(extensions) + len(accounts)))
    return result


def qxo_timer(kind: str) -> Callable:
    """qxo's converge timer for `kind`, as registered with kopf."""
    return next(h.fn for h in kopf.get_default_registry()._spawning.get_all_handlers()
                if h.id == "converge" and h.selector.any_name == harness.PLURALS[kind])


def bare_timer(kind: str) -> Callable:
    async def converge(stopped: Any, **_: Any) -> None:  # bare_operator.py's timer between its writes
        await stopped.wait(600)
    return converge


async def sleeping(timer: Callable[[str], Callable], kinds: list[str], kwargs: list[dict], runtime: Runtime) -> int:
    """What N handler calls hold while they sleep (kopf's runner around them is the same for both)."""
    handlers = {kind: timer(kind) for kind in set(kinds)}
    for kind, call in zip(kinds, kwargs, strict=True):  # each converged already: its loop goes straight to sleep
        await runtime.wakeups.wait(ObjectKey.of(kind, call["body"]), timeout=0)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tasks = [asyncio.create_task(handlers[kind](**call)) for kind, call in zip(kinds, kwargs, strict=True)]
    for _ in range(5):
        await asyncio.sleep(0)
    gc.collect()
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    for call in kwargs:
        call["stopped"]._setter.set()
    await asyncio.gather(*tasks)
    for call in kwargs:  # fresh stoppers for the next shape
        call["stopped"] = FlagSetter().async_waiter
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10000, help="N, as converge.py's --resources")
    parser.add_argument("--keep-logs", metavar="DIR", help="keep the sample runs' logs here")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    harness.stop_on_sigterm()
    with harness.workdir(args.keep_logs, "qxo-memory-") as workdir:
        qxo_samples = converged_bodies(workdir, bare=False)
        bare_samples = converged_bodies(workdir, bare=True)
    result = measure(args.objects, qxo_samples, bare_samples)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:34} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
