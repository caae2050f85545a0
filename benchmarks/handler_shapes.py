"""kopf's cost of each handler shape qxo's converge loop could have, on the bare operator's work (Ready only).

    python benchmarks/handler_shapes.py --resources 1000 --runs 3 --json

For each shape of benchmarks/bare_operator.py (`timer`: qxo's, a timer whose handler sleeps until woken;
`daemon`: a daemon that never returns and writes status with its own client; `handlers`: on.create,
on.update and on.resume, with kopf's diff-base), N objects created first, then the operator started,
and the clock run until every object is Ready, on a fresh kube sandbox (`--kube real`: a fresh real control
plane) each run; medians of `--runs`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import harness
from converge import MAX_BUDGET, converge_bare

SHAPES = ("timer", "daemon", "handlers")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100, help="N (at least 2)")
    parser.add_argument("--runs", type=int, default=1, help="runs per shape; medians are reported")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated, of " + ", ".join(SHAPES))
    parser.add_argument("--kube", choices=("sandbox", "real"), default="sandbox",
                        help="the kube sandbox, or the real control plane (hack/real-cluster)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for all Ready")
    parser.add_argument("--keep-logs", metavar="DIR", help="keep sandbox and operator logs here")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    args.budget, args.rate_limit, args.resync_seconds = MAX_BUDGET, None, 30
    harness.stop_on_sigterm()
    result: dict[str, Any] = {"kube": args.kube, "resources": args.resources, "runs": args.runs}
    for shape in args.shapes.split(","):
        runs = []
        for _ in range(args.runs):  # shapes interleaved would share the machine's drift; each gets fresh processes
            with harness.workdir(args.keep_logs, f"qxo-shape-{shape}-") as workdir:
                runs.append(converge_bare(args, workdir, "http://127.0.0.1:9", shape))
        result[shape] = {
            "converge_seconds": harness.median([r["bare_kopf_converge_seconds"] for r in runs]),
            "cpu_seconds": harness.median([r["bare_kopf_cpu_seconds"] for r in runs]),
            "kube_requests": harness.median([r["bare_kopf_kube_requests"] for r in runs]),
            "converge_seconds_each": [r["bare_kopf_converge_seconds"] for r in runs],
        }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for shape in args.shapes.split(","):
            print(f"{shape:10} {result[shape]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
