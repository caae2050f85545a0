"""Convergence benchmark: qxo against a bare kopf operator on N resources, then qxo's steady state.

    python benchmarks/converge.py --resources 1000 --latency-ms 20 [--rate-limit R] [--budget B] [--restart]
                                  [--kube real] [--json]

Each phase gets fresh sandbox processes: the resources are created first, then the operator starts,
and the clock runs from its start until every resource is Ready for its generation (a watch per
kind). Brand calls come from the brand sandbox's audit totals, Kubernetes calls from the kube
sandbox's counters, CPU and peak RSS from /proc of the operator process. After convergence qxo
idles for two resync intervals (or two `qxo.dev/refresh` annotations): the reads and writes
there are the steady state. With --restart the operator is then SIGKILLed and started again, and timed
until it is idle with every object Ready. Then the same N converges under benchmarks/bare_operator.py.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib import request as urllib_request

import harness
import workload
from harness import BrandSandbox, Cluster, KubeSandbox, Process, ReadyWatch, RealKube

HERE = Path(__file__).resolve().parent
MAX_BUDGET = 60000  # the most spec.rateLimit.requestsPerMinute accepts
# The listings one observation of the brand reads, page by page (DESIGN.md's "pages one observation reads").
OBSERVATION_ROUTES = ("/extensions", "/brands/{brandId}/accounts", "/salesforce-connections")


def converge_qxo(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    installs = (args.resources + 3) // 5 + 1
    brand = BrandSandbox(workdir, latency_ms=args.latency_ms, rate_limit=args.rate_limit,
                         extra_extensions=installs).start()
    kube = harness.kube_for(args.kube, workdir).start()
    cluster = Cluster(kube)
    metrics_port = harness.free_port()
    operator = Process(harness.qxo_operator("--namespace", harness.NAMESPACE, "--metrics-port", str(metrics_port)),
                       workdir / "qxo-operator.log", env={"KUBECONFIG": str(kube.kubeconfig)})
    try:
        work = workload.generate(args.resources, brand.url, brand.token, budget=budget(args),
                                 resync=f"{args.resync_seconds}s")
        cluster.prepare()
        created = time.monotonic()
        cluster.create(work.documents)
        result: dict[str, Any] = {"resources": len(work.resources), "installs": work.installs,
                                  "create_seconds": round(time.monotonic() - created, 2),
                                  "changes_needed": work.changes_needed}
        watch = ReadyWatch(cluster, work.keys).start()
        kube_before, brand_before = kube.stats(), brand.totals()
        kube_before_by_verb = kube.stats_by_verb()
        kube_cpu_before, brand_cpu_before = kube.process.cpu_seconds(), brand.process.cpu_seconds()
        started = time.monotonic()
        operator.start()
        if not watch.wait(args.timeout):
            missing = watch.missing()
            raise RuntimeError(f"qxo: {len(missing)} resources not Ready after {args.timeout}s, e.g. {missing[:5]}")
        result["converge_seconds"] = round(time.monotonic() - started, 2)
        result["ready_timeline"] = watch.timeline(started)
        result["converges"] = converges_by_kind(metrics_port)
        at_ready, kube_at_ready = brand.totals(), kube.stats()
        result["kube_requests_by_verb"] = kube_delta(kube_before_by_verb, kube.stats_by_verb())
        result.update(brand_reads=at_ready["reads"] - brand_before["reads"],
                      brand_writes=at_ready["writes"] - brand_before["writes"],
                      brand_changes=at_ready["changes"] - brand_before["changes"],
                      kube_requests=kube_at_ready - kube_before,
                      cpu_seconds=round(operator.cpu_seconds(), 2),
                      kube_sandbox_cpu_seconds=round(kube.process.cpu_seconds() - kube_cpu_before, 2),
                      brand_sandbox_cpu_seconds=round(brand.process.cpu_seconds() - brand_cpu_before, 2))
        result["writes_per_change"] = round(result["brand_writes"] / max(1, work.changes_needed), 3)
        calls = [e for e in brand.audit(brand_before["last"]) if e["seq"] <= at_ready["last"]]
        result["converge_calls"] = dict(collections.Counter(f"{e['method']} {e['route']}" for e in calls))
        # Writes the brand refused (429 above its limit, injected faults) are retried: not extra changes.
        result["brand_writes_refused"] = sum(e["method"] != "GET" and e["status"] in (0, 429, 500, 503)
                                             for e in calls)
        result.update(call_rate(calls, result["converge_seconds"]))
        result.update(steady_state(args, cluster, brand, kube, metrics_port))
        result.update(peak_rss_mb=round(operator.peak_rss_mb(), 1), cpu_seconds_total=round(operator.cpu_seconds(), 2),
                      operator_alive=operator.alive(), operator_tracebacks=operator.log_text().count("Traceback"))
        if args.restart:
            result.update(restart(args, operator, metrics_port, watch, brand, kube))
        watch.close()
        return result
    finally:
        operator.stop()
        cluster.close()
        kube.process.stop()
        brand.process.stop()


def restart(args: argparse.Namespace, operator: Process, metrics_port: int, watch: ReadyWatch,
            brand: BrandSandbox, kube: KubeSandbox | RealKube) -> dict[str, Any]:
    """SIGKILL the operator with everything Ready, start it again, and time it until every object is
    Ready for its generation, converged once by the new process, and the operator is idle (no converge
    finished and no brand call for a second). Reads should be observation pages only, writes none."""
    expected = len(watch.expected)
    before, kube_before = brand.totals(), kube.stats()
    operator.kill()
    started = time.monotonic()
    operator.start()
    settled_at, last = None, None
    deadline = started + args.timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            by_kind = converges_by_kind(metrics_port)
        except OSError:  # not serving yet
            continue
        converged = sum(sum(by_result.values()) for by_result in by_kind.values())
        now = (converged, brand.totals()["last"])
        if now != last:
            last, settled_at = now, time.monotonic()
        elif converged >= expected and watch.all_ready.is_set() and time.monotonic() - settled_at >= 1.0:
            break
    else:
        raise RuntimeError(f"restart: not idle with every object Ready after {args.timeout}s")
    after = brand.totals()
    calls = collections.Counter(f"{e['method']} {e['route']}" for e in brand.audit(before["last"]))
    return {"restart_seconds": round(settled_at - started, 2), "restart_writes": after["writes"] - before["writes"],
            "restart_reads": after["reads"] - before["reads"], "restart_calls": dict(calls),
            "restart_converges": by_kind, "restart_kube_requests": kube.stats() - kube_before,
            "restart_peak_rss_mb": round(operator.peak_rss_mb(), 1),
            "restart_cpu_seconds": round(operator.cpu_seconds(), 2)}


def budget(args: argparse.Namespace) -> int:
    """qxo's spec.rateLimit: as given, else the brand sandbox's limit, else the most qxo accepts
    (the sandbox brand then has no limit, and the client should not invent one)."""
    return args.budget or args.rate_limit or MAX_BUDGET


def converges_by_kind(port: int) -> dict[str, dict[str, int]]:
    """qxo_reconciles_total from the operator's metrics: converges per kind and result."""
    with urllib_request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:
        text = response.read().decode()
    counts: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        match = re.match(r'qxo_reconciles_total\{kind="(\w+)",result="(\w+)"\} ([0-9.e+]+)', line)
        if match:
            counts.setdefault(match[1], {})[match[2]] = int(float(match[3]))
    return counts


def counts_delta(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Two-level counts (verb/resource, kind/result) gained from `before` to `after`; unchanged ones left out."""
    delta: dict[str, dict[str, int]] = {}
    for outer, counts in after.items():
        for inner, count in counts.items():
            count -= before.get(outer, {}).get(inner, 0)
            if count:
                delta.setdefault(outer, {})[inner] = count
    return delta


def kube_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, int]]:
    return counts_delta(before["requests"], after["requests"])


def call_rate(calls: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Brand calls per second while converging: flat at the limit means the rate limit bounds convergence."""
    if not calls:
        return {}
    first = datetime.fromisoformat(calls[0]["at"].replace("Z", "+00:00"))
    per_second = collections.Counter(
        int((datetime.fromisoformat(e["at"].replace("Z", "+00:00")) - first).total_seconds()) for e in calls)
    series = [per_second.get(i, 0) for i in range(max(per_second) + 1)]
    return {"brand_calls_per_second_median": harness.median(series), "brand_calls_per_second_max": max(series),
            "seconds_with_under_5_brand_calls": sum(n < 5 for n in series), "brand_call_seconds": len(series),
            "brand_calls_per_second": series if seconds < 400 else None}


def steady_state(args: argparse.Namespace, cluster: Cluster, brand: BrandSandbox,
                 kube: KubeSandbox | RealKube, metrics_port: int) -> dict[str, Any]:
    """Two idle intervals after convergence: brand reads and writes, Kubernetes calls."""
    time.sleep(1)  # the last status patches and Events settle
    before, kube_before, kube_before_by_verb = brand.totals(), kube.stats(), kube.stats_by_verb()
    converges_before = converges_by_kind(metrics_port)
    if args.steady == "resync":
        time.sleep(2 * args.resync_seconds + 3)
    else:
        for _ in range(2):
            refresh = {"metadata": {"annotations": {"qxo.dev/refresh": str(time.time())}}}
            cluster.patch("QualtricsBrand", "acme", refresh)
            time.sleep(4)
    after = brand.totals()
    reads = after["reads"] - before["reads"]
    by_route = collections.Counter(f"{e['method']} {e['route']}" for e in brand.audit(before["last"]))
    # Every observation reads each listing at least once; the listing with the fewest pages counts them.
    listings = [n for call, n in by_route.items() if call.startswith("GET") and call.endswith(OBSERVATION_ROUTES)]
    observations = min(listings) if len(listings) == len(OBSERVATION_ROUTES) else 0
    return {"steady_state_mode": args.steady, "steady_state_reads": reads, "steady_state_calls": dict(by_route),
            "steady_state_writes": after["writes"] - before["writes"],
            "observations": observations, "observation_pages": round(sum(listings) / max(1, observations), 2),
            "steady_state_kube_requests": kube.stats() - kube_before,
            "steady_state_kube_requests_by_verb": kube_delta(kube_before_by_verb, kube.stats_by_verb()),
            "steady_state_converges": counts_delta(converges_before, converges_by_kind(metrics_port))}


def converge_bare(args: argparse.Namespace, workdir: Path, base_url: str, shape: str = "timer") -> dict[str, Any]:
    kube = harness.kube_for(args.kube, workdir, name="bare-kube").start()
    cluster = Cluster(kube)
    operator = Process([sys.executable, str(HERE / "bare_operator.py"), "--namespace", harness.NAMESPACE,
                        "--shape", shape],
                       workdir / "bare-operator.log", env={"KUBECONFIG": str(kube.kubeconfig)})
    try:
        work = workload.generate(args.resources, base_url, "FAKE-token", budget=budget(args),
                                 resync=f"{args.resync_seconds}s")
        cluster.prepare()
        cluster.create(work.documents)
        watch = ReadyWatch(cluster, work.keys).start()
        kube_before = kube.stats()
        started = time.monotonic()
        operator.start()
        if not watch.wait(args.timeout):
            raise RuntimeError(f"bare kopf: {len(watch.missing())} resources not Ready after {args.timeout}s")
        seconds = round(time.monotonic() - started, 2)
        timeline = watch.timeline(started)
        watch.close()
        return {"bare_kopf_converge_seconds": seconds, "bare_kopf_ready_timeline": timeline,
                "bare_kopf_kube_requests": kube.stats() - kube_before,
                "bare_kopf_cpu_seconds": round(operator.cpu_seconds(), 2),
                "bare_kopf_peak_rss_mb": round(operator.peak_rss_mb(), 1)}
    finally:
        operator.stop()
        cluster.close()
        kube.process.stop()


def one_run(args: argparse.Namespace) -> dict[str, Any]:
    with harness.workdir(args.keep_logs, "qxo-bench-") as workdir:
        result = {"kube": args.kube, "latency_ms": args.latency_ms, "rate_limit": args.rate_limit,
                  "budget": budget(args), **converge_qxo(args, workdir)}
        if not args.skip_bare:
            result.update(converge_bare(args, workdir, "http://127.0.0.1:9"))
            result["throughput_ratio_vs_bare_kopf"] = round(
                result["bare_kopf_converge_seconds"] / result["converge_seconds"], 3)
        if args.rate_limit or args.budget:
            # what the budget (or the brand's limit) allows: every change and one observation's pages
            needed = result["changes_needed"] + result["observation_pages"]
            result["rate_bound_seconds"] = round(needed * 60 / min(budget(args), args.rate_limit or MAX_BUDGET), 2)
            result["rate_bound_ratio"] = round(result["converge_seconds"] / result["rate_bound_seconds"], 3)
        return result


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    if len(runs) == 1:
        return runs[0]
    summary: dict[str, Any] = {}
    for key, value in runs[0].items():
        values = [run[key] for run in runs]
        numeric = isinstance(value, int | float) and not isinstance(value, bool) and None not in values
        summary[key] = round(harness.median(values), 3) if numeric else value
    return {**summary, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100, help="N, the brand included (at least 2)")
    parser.add_argument("--latency-ms", type=float, default=0, help="brand sandbox latency per call")
    parser.add_argument("--rate-limit", type=int, default=None,
                        help="the brand sandbox's limit in requests per minute (and qxo's budget unless --budget)")
    parser.add_argument("--budget", type=int, default=None,
                        help=f"qxo's spec.rateLimit.requestsPerMinute (default: --rate-limit, else {MAX_BUDGET})")
    parser.add_argument("--resync-seconds", type=int, default=None,
                        help="the brand's resyncInterval (at least 30; default 30 with --steady resync, which idles "
                             "for two of them, else 600, the product's default)")
    parser.add_argument("--steady", choices=("resync", "refresh"), default="resync",
                        help="idle for two resync intervals, or trigger two observations by annotation")
    parser.add_argument("--kube", choices=("sandbox", "real"), default="sandbox",
                        help="the kube sandbox, or the real control plane of hack/real-cluster (same workload and "
                             "keys; kube_sandbox_cpu_seconds is then the control plane's CPU)")
    parser.add_argument("--restart", action="store_true",
                        help="after the steady state, SIGKILL the operator and time its restart (restart_seconds, "
                             "restart_writes, restart_reads)")
    parser.add_argument("--runs", type=int, default=1, help="repeat and report medians")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for all Ready")
    parser.add_argument("--skip-bare", action="store_true", help="qxo only (no bare kopf baseline)")
    parser.add_argument("--keep-logs", metavar="DIR", help="keep sandbox and operator logs here")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    if args.resync_seconds is None:
        args.resync_seconds = 30 if args.steady == "resync" else 600
    harness.stop_on_sigterm()
    if args.resources < 2:
        parser.error("--resources: at least 2 (the brand and one install)")
    runs = [one_run(args) for _ in range(args.runs)]
    result = summarize(runs)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            if key != "runs":
                print(f"{key:34} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
