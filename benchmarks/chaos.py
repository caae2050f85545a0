"""Chaos run: a faulty brand, the operator SIGKILLed every few seconds, declared changes landing throughout.

    python benchmarks/chaos.py [--resources 100] [--kill-cycles 3] [--min-faults 1000] [--json]

The brand sandbox answers 10% of calls with 5xx, 5% with 429, commits 2% and then hangs and drops
the connection (the client cannot know the write happened), and drops 2% before handling them.
Every cycle declares changes (new domains, rotated Secrets, other grantees, and a new install with
its accounts and grants), then kills the operator and starts it again. Cycles go on until both
`--kill-cycles` and `--min-faults` are reached. Then, with the faults still on, every resource must
become Ready; with them off, the brand must hold exactly the declared state, no account twice, and
no credential value or token may appear in the operator's log, Events, statuses or the audit log.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import chaos_checks
import harness
import workload
from harness import NAMESPACE, USERS, BrandSandbox, Cluster, KubeSandbox, Process, ReadyWatch

FAULTS = {"500": 0.05, "503": 0.05, "429": 0.05, "timeout": 0.02, "drop": 0.02, "hang": 1}


class Chaos:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.brand = BrandSandbox(workdir, extra_extensions=args.resources // 5 + args.max_cycles + 2,
                                  seed=args.seed).start()
        self.kube = KubeSandbox(workdir).start()
        self.cluster = Cluster(self.kube)
        self.operator = Process(harness.qxo("operator", "--namespace", NAMESPACE), workdir / "operator.log",
                                env={"KUBECONFIG": str(self.kube.kubeconfig)})
        self.work = workload.generate(args.resources, self.brand.url, self.brand.token, secret_prefix="FAKE-chaos",
                                      resync="30s")
        self.declared = {(d["kind"], d["metadata"]["name"]): d for d in self.work.resources}
        self.secret_values = {self.brand.token, *self.work.secrets.values()}
        self.faults, self.audit_seq, self.cycles = 0, 0, 0

    def count_faults(self) -> int:
        for entry in self.brand.audit(self.audit_seq):
            self.faults += bool(entry.get("fault"))
            self.audit_seq = entry["seq"]
        return self.faults

    def wait_until_working(self, timeout: float = 60) -> None:
        """A kill during the operator's imports would test nothing: wait until kopf has logged in."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.operator.alive():
            latest = self.operator.log_text().rpartition(f"---- start {self.operator.starts}")[2]
            if "Initial authentication has finished" in latest:
                return
            time.sleep(0.2)

    def declare_changes(self, cycle: int) -> None:
        """A few changes to existing objects and one new install with its accounts and grants."""
        installs = self.work.installs
        for k in range(self.args.changes_per_cycle):
            i = (cycle * self.args.changes_per_cycle + k) % installs + 1
            which = k % 3
            if which == 0:
                self._patch("ExtensionInstall", f"bench-{i:03d}",
                            {"spec": {"domains": [f"https://svc{i:03d}-v{cycle}.bench.example"]}})
            elif which == 1 and ("ExtensionAccount", f"bench-{i:03d}-a") in self.declared:
                value = f"FAKE-chaos-{i:03d}-a-rotation-{cycle}"
                self.secret_values.add(value)
                self.cluster.core.patch_namespaced_secret(f"bench-{i:03d}-a-credentials", NAMESPACE,
                                                          {"stringData": {"apiKey": value}})
            elif which == 2 and ("AccountGrant", f"bench-{i:03d}-a") in self.declared:
                user = USERS[(i + cycle) % len(USERS)]
                self._patch("AccountGrant", f"bench-{i:03d}-a", {"spec": {"users": [{"user": user, "access": "User"}]}})
        new = self.work.installs + cycle
        documents = [workload.install(new)]
        for suffix in ("a", "b"):
            value = f"FAKE-chaos-{new:03d}-{suffix}-created-{cycle}"
            self.secret_values.add(value)
            documents += [*workload.account(new, suffix, value), workload.grant(new, suffix)]
        self.cluster.create(documents)
        for document in documents:
            if document["kind"] != "Secret":
                self.declared[(document["kind"], document["metadata"]["name"])] = document
        self.cluster.patch("QualtricsBrand", "acme", {"metadata": {"annotations": {"qxo.dev/refresh": str(cycle)}}})

    def _patch(self, kind: str, name: str, body: dict[str, Any]) -> None:
        self.cluster.patch(kind, name, body)
        self.declared[(kind, name)]["spec"].update(body["spec"])

    def run(self) -> dict[str, Any]:
        args = self.args
        self.cluster.prepare()
        self.cluster.create(self.work.documents)
        self.brand.put_faults({**FAULTS, "seed": args.seed})
        self.operator.start()
        started = time.monotonic()
        while self.cycles < args.max_cycles and (self.cycles < args.kill_cycles or self.faults < args.min_faults):
            self.declare_changes(self.cycles + 1)
            self.wait_until_working()
            time.sleep(args.kill_every)
            self.operator.kill()
            self.cycles += 1
            self.operator.start()
            self.count_faults()
            if not args.json:
                print(f"cycle {self.cycles}: {self.faults} faults so far", file=sys.stderr, flush=True)
        watch = ReadyWatch(self.cluster, set(self.declared)).start()
        all_ready = watch.wait(args.timeout)
        settle = time.monotonic()
        while chaos_checks.rotations_lost(self.cluster, self.declared) and time.monotonic() - settle < 60:
            time.sleep(1)
        converged = round(time.monotonic() - started, 1)
        self.count_faults()
        self.brand.put_faults({})
        time.sleep(2)  # calls in flight finish under the old faults
        self.count_faults()
        verdict = chaos_checks.brand_matches(self.brand, self.cluster, self.declared)
        log = self.operator.log_text()
        leaks = chaos_checks.leak_scan(self.secret_values,
                                       chaos_checks.leak_sources(self.cluster, self.brand, log))
        watch.close()
        return {"kill_cycles": self.cycles, "faults_injected": self.faults,
                "resources": len(self.declared), "ready": len(self.declared) - len(watch.missing()),
                "all_ready": all_ready, "not_ready": [f"{k}/{n}" for k, n in watch.missing()][:20],
                "duplicates": verdict["duplicates"], "unexpected_accounts": verdict["unexpected_accounts"],
                "lost_changes": len(verdict["lost"]), "lost": verdict["lost"][:20],
                "secret_leaks": len(leaks), "leaks": leaks[:20], "secret_values_scanned": len(self.secret_values),
                "operator_starts": self.operator.starts, "tracebacks_in_log": log.count("Traceback"),
                "brand_calls": self.audit_seq, "seconds": converged}

    def close(self) -> None:
        self.operator.stop()
        self.cluster.close()
        self.kube.process.stop()
        self.brand.process.stop()


def passed(result: dict[str, Any]) -> bool:
    return (result["all_ready"] and result["duplicates"] == 0 and not result["unexpected_accounts"]
            and result["lost_changes"] == 0 and result["secret_leaks"] == 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100, help="resources declared at the start")
    parser.add_argument("--kill-cycles", type=int, default=3, help="at least this many SIGKILLs")
    parser.add_argument("--min-faults", type=int, default=0, help="keep cycling until this many faults were injected")
    parser.add_argument("--max-cycles", type=int, default=200, help="give up cycling after this many")
    parser.add_argument("--kill-every", type=float, default=4.0, help="seconds of work before each kill")
    parser.add_argument("--changes-per-cycle", type=int, default=12, help="changes to existing objects per cycle")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for everything to be Ready at the end")
    parser.add_argument("--seed", type=int, default=7, help="seed of the fault draws")
    parser.add_argument("--keep-logs", metavar="DIR", help="keep sandbox and operator logs here")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    harness.stop_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="qxo-chaos-") as tmp:
        workdir = Path(args.keep_logs) if args.keep_logs else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        chaos = Chaos(args, workdir)
        try:
            result = chaos.run()
        finally:
            chaos.close()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:24} {value}")
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())
