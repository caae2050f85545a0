"""Benchmark of the kube sandbox: create N custom resources, patch each, list, and fan out to 5 watches.

Prints per-phase rates, the cost ratio of the last 1,000 creates to the first 1,000 (the bar is <= 1.5:
cost must not grow with the number of stored objects) and the memory held per stored object.

    python benchmarks/kube_sandbox.py --objects 10000 [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
import tracemalloc
from pathlib import Path

import aiohttp
import yaml

from qxo.sandbox.kube import KubeSandbox

CRD = Path(__file__).resolve().parents[1] / "tests" / "kube" / "data" / "widgets.yaml"
WIDGETS = "/apis/test.qxo.dev/v1/namespaces/default/widgets"
BATCH = 1000
CONCURRENCY = 16
WATCHERS = 5


def widget(i: int) -> dict:
    return {"apiVersion": "test.qxo.dev/v1", "kind": "Widget",
            "metadata": {"name": f"w{i:06d}", "labels": {"bench": "yes", "shard": str(i % 10)}},
            "spec": {"size": "small", "replicas": 1, "color": "blue"}}


async def _each(count: int, call) -> tuple[float, list[float]]:
    """Run `call(i)` for every i with bounded concurrency; returns the wall seconds in all and the CPU seconds
    each batch of BATCH took.

    CPU time of this process (client and server) rather than wall time, so that other work on a shared
    machine does not pass for a cost that grows with the number of stored objects.
    """
    semaphore = asyncio.Semaphore(CONCURRENCY)
    batches: list[float] = []
    wall = time.perf_counter()

    async def one(i: int) -> None:
        async with semaphore:
            await call(i)

    for start in range(0, count, BATCH):
        began = time.process_time()
        await asyncio.gather(*(one(i) for i in range(start, min(start + BATCH, count))))
        batches.append(time.process_time() - began)
    return time.perf_counter() - wall, batches


async def _expect(response: aiohttp.ClientResponse, status: int) -> None:
    if response.status != status:
        raise RuntimeError(f"{response.method} {response.url}: {response.status} {await response.text()}")
    await response.read()


async def _watch(session: aiohttp.ClientSession, url: str, rv: str, expected: int, done: asyncio.Event) -> int:
    seen = 0
    params = {"watch": "true", "resourceVersion": rv, "timeoutSeconds": "600"}
    async with session.get(url + WIDGETS, params=params) as response:
        async for _line in response.content:
            seen += 1
            if seen >= expected:
                break
    done.set()
    return seen


async def run(count: int) -> dict:
    sandbox = KubeSandbox()
    await sandbox.start()
    url = sandbox.url
    results: dict = {"objects": count}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY * 2)) as session:
            async with session.post(url + "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                    json=yaml.safe_load(CRD.read_text())) as response:
                await _expect(response, 201)

            gc.collect()

            async def create(i: int) -> None:
                async with session.post(url + WIDGETS, json=widget(i)) as response:
                    await _expect(response, 201)

            await create(count)  # compiles the CRD's admitter once, so the first batch is not charged for it
            wall, batches = await _each(count, create)
            results["create_per_s"] = count / wall
            results["last_to_first_1000_ratio"] = batches[-1] / batches[0]

            async def patch(i: int) -> None:
                async with session.patch(url + f"{WIDGETS}/w{i:06d}", data=json.dumps({"spec": {"replicas": 2}}),
                                         headers={"Content-Type": "application/merge-patch+json"}) as response:
                    await _expect(response, 200)

            results["patch_per_s"] = count / (await _each(count, patch))[0]

            began = time.perf_counter()
            async with session.get(url + WIDGETS) as response:
                listed = await response.json()
            results["list_all_s"] = time.perf_counter() - began
            results["list_objects_per_s"] = len(listed["items"]) / results["list_all_s"]
            began = time.perf_counter()
            async with session.get(url + WIDGETS, params={"labelSelector": "shard=3", "limit": "500"}) as response:
                await response.read()
            results["list_selector_page_s"] = time.perf_counter() - began

            rv = listed["metadata"]["resourceVersion"]
            done = [asyncio.Event() for _ in range(WATCHERS)]
            watches = [asyncio.create_task(_watch(session, url, rv, count, d)) for d in done]
            await asyncio.sleep(0.2)
            began = time.perf_counter()

            async def touch(i: int) -> None:
                async with session.patch(url + f"{WIDGETS}/w{i:06d}", data=json.dumps({"spec": {"replicas": 3}}),
                                         headers={"Content-Type": "application/merge-patch+json"}) as response:
                    await _expect(response, 200)

            await _each(count, touch)
            seen = await asyncio.gather(*watches)
            elapsed = time.perf_counter() - began
            results["watch_patches_per_s"] = count / elapsed
            results["watch_events_delivered_per_s"] = sum(seen) / elapsed
            async with session.get(url + "/_sandbox/stats") as response:
                results["requests"] = (await response.json())["total"]
    finally:
        await sandbox.stop()
    results["bytes_per_object"] = await _memory(count)
    return results


async def _memory(count: int) -> float:
    """Memory still held after N creates, measured in a fresh sandbox so the timed phases run untraced."""
    sandbox = KubeSandbox()
    await sandbox.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(sandbox.url + "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                                    json=yaml.safe_load(CRD.read_text())) as response:
                await _expect(response, 201)

            async def create(i: int) -> None:
                async with session.post(sandbox.url + WIDGETS, json=widget(i)) as response:
                    await _expect(response, 201)

            await create(count)  # warm every code path before measuring
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            await _each(count, create)
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
    finally:
        await sandbox.stop()
    return (after - before) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    results = asyncio.run(run(args.objects))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for key, value in results.items():
        print(f"{key:32} {value:,.2f}" if isinstance(value, float) else f"{key:32} {value:,}")
    verdict = "meets" if results["last_to_first_1000_ratio"] <= 1.5 else "FAILS"
    print(f"cost ratio last/first 1,000 creates {results['last_to_first_1000_ratio']:.2f} {verdict} the 1.5 bar")


if __name__ == "__main__":
    main()
