"""Chaos run: a faulty brand, the operator SIGKILLed every few seconds, declared changes landing throughout.

    python benchmarks/chaos.py [--resources 100] [--links 4] [--kill-cycles 3] [--min-faults 1000] [--json]

The brand sandbox answers 10% of calls with 5xx, 5% with 429, commits 2% and then hangs and drops
the connection (the client cannot know the write happened), and drops 2% before handling them.
Beside the installs, accounts and grants, one SalesforceLink per brand user links the Salesforce
sandbox org (over HTTPS, trusted through a CA bundle ConfigMap), whose token endpoint also fails now
and then. Every cycle declares changes (new domains, rotated Secrets, other grantees, a new install
with its accounts and grants, and a link's refresh token rotated, the old one revoked), then kills the
operator and starts it again. Cycles go on until both `--kill-cycles` and `--min-faults` are reached.
Then, with the faults still on, every resource must become Ready; with them off, the brand must hold
exactly the declared state (one Salesforce connection per owner and org, holding the current refresh
token), no account, grant or connection twice, and no credential value or token may appear in the
operator's log, Events, statuses, the audit log or the output of `qxo export`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

import chaos_checks
import harness
import workload
from harness import NAMESPACE, USERS, BrandSandbox, Cluster, KubeSandbox, Process, ReadyWatch, SalesforceSandbox

FAULTS = {"500": 0.05, "503": 0.05, "429": 0.05, "timeout": 0.02, "drop": 0.02, "hang": 1}


class Chaos:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.brand = BrandSandbox(workdir, extra_extensions=args.resources // 5 + args.max_cycles + 2,
                                  seed=args.seed).start()
        self.salesforce = SalesforceSandbox(workdir).start()
        self.kube = KubeSandbox(workdir).start()
        self.cluster = Cluster(self.kube)
        self.operator = Process(harness.qxo_operator("--namespace", NAMESPACE), workdir / "operator.log",
                                env={"KUBECONFIG": str(self.kube.kubeconfig)})
        self.work = workload.generate(args.resources, self.brand.url, self.brand.token, secret_prefix="FAKE-chaos",
                                      resync="30s")
        brand, sf = self.brand.credentials, self.salesforce.credentials
        # every token of every brand user and OAuth client, and the connected app's secret: none may leak
        self.secret_values = {*brand["tokens"].values(), *self.work.secrets.values(), sf["client_secret"],
                              *(client["client_secret"] for client in brand["oauth_clients"].values())}
        self.refresh_tokens: dict[str, str] = {}  # link name -> the refresh token its Secret holds now
        self.access_tokens: set[str] = set()
        self.documents = [*self.work.documents, *self.link_documents(args.links)]
        self.declared = {(d["kind"], d["metadata"]["name"]): d for d in self.documents
                         if d["kind"] not in ("Secret", "ConfigMap")}
        self.faults, self.audit_seq, self.cycles, self.salesforce_faults = 0, 0, 0, 0

    def link_documents(self, count: int) -> list[dict[str, Any]]:
        """The shared connected-app Secret and CA, then a link per owner, each with its own refresh token."""
        if not count:
            return []
        sf = self.salesforce.credentials
        documents = workload.salesforce_shared(sf["client_id"], sf["client_secret"], self.salesforce.ca_pem)
        for owner in USERS[:count]:
            token = self.salesforce.mint_refresh_token()
            self.refresh_tokens[workload.link_name(owner)] = token
            self.secret_values.add(token)
            documents += workload.salesforce_link(owner, self.salesforce.url, token)
        return documents

    def rotate_refresh_token(self, cycle: int) -> None:
        """A new refresh token in one link's Secret, the old one revoked, as an owner re-authorizing would."""
        name = sorted(self.refresh_tokens)[cycle % len(self.refresh_tokens)]
        token = self.salesforce.mint_refresh_token()
        self.secret_values.add(token)
        self.cluster.core.patch_namespaced_secret(f"{name}-refresh-token", NAMESPACE,
                                                  {"stringData": {"refresh_token": token}})
        if self.args.revoke_rotated:
            self.salesforce.revoke_refresh_token(self.refresh_tokens[name])
        self.refresh_tokens[name] = token

    def collect_access_tokens(self) -> None:
        """The access tokens the operator holds are secrets too: read them where it keeps them."""
        for name in self.refresh_tokens:
            try:
                _, token = chaos_checks.secret_value(self.cluster, f"{name}-salesforce-token", "access_token")
            except harness.k8s.exceptions.ApiException:
                continue
            if token:
                self.access_tokens.add(token)
                self.secret_values.add(token)

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
        if self.refresh_tokens:
            self.rotate_refresh_token(cycle)
            self.salesforce.fail_token_calls(self.args.salesforce_faults)
            self.salesforce_faults += self.args.salesforce_faults

    def _patch(self, kind: str, name: str, body: dict[str, Any]) -> None:
        self.cluster.patch(kind, name, body)
        self.declared[(kind, name)]["spec"].update(body["spec"])

    def run(self) -> dict[str, Any]:
        args = self.args
        self.cluster.prepare()
        self.cluster.create(self.documents)
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
            self.collect_access_tokens()
            if not args.json:
                print(f"cycle {self.cycles}: {self.faults} faults so far", file=sys.stderr, flush=True)
        watch = ReadyWatch(self.cluster, set(self.declared)).start()
        all_ready = watch.wait(args.timeout)
        settle = time.monotonic()
        while time.monotonic() - settle < 60 and (chaos_checks.rotations_lost(self.cluster, self.declared)
                                                   or chaos_checks.link_rotations_lost(self.cluster, self.declared)):
            time.sleep(1)
        converged = round(time.monotonic() - started, 1)
        self.count_faults()
        self.brand.put_faults({})
        time.sleep(2)  # calls in flight finish under the old faults
        self.count_faults()
        try:
            return self.judge(watch, all_ready, converged)
        finally:
            watch.close()

    def judge(self, watch: ReadyWatch, all_ready: bool, converged: float) -> dict[str, Any]:
        """Every invariant, checked once the faults are off, as the run's report."""
        self.collect_access_tokens()
        verdict = chaos_checks.brand_matches(self.brand, self.cluster, self.declared)
        links = chaos_checks.links_match(self.brand, self.cluster, self.declared, self.brand.db_path)
        export = self.export()
        log = self.operator.log_text()
        sources = {**chaos_checks.leak_sources(self.cluster, self.brand, log), "qxo export": export["text"]}
        leaks = chaos_checks.leak_scan(self.secret_values, sources,
                                       (chaos_checks.access_token_pattern(self.salesforce.organization_id),))
        duplicates = {**verdict["duplicates"], "connections": links["duplicates"]}
        lost = verdict["lost"] + links["lost"]
        return {"kill_cycles": self.cycles, "faults_injected": self.faults,
                "salesforce_faults_injected": self.salesforce_faults,
                "resources": len(self.declared), "ready": len(self.declared) - len(watch.missing()),
                "all_ready": all_ready, "not_ready": [f"{k}/{n}" for k, n in watch.missing()][:20],
                "links": sum(kind == "SalesforceLink" for kind, _ in self.declared),
                "links_not_ready": links["not_ready"][:20], "brand_connections": links["connections"],
                "duplicates": sum(duplicates.values()), "duplicate_counts": duplicates,
                "unexpected_accounts": verdict["unexpected_accounts"],
                "unexpected_connections": links["unexpected"],
                "lost_changes": len(lost), "lost": lost[:20],
                "export_exit_code": export["exit_code"], "export_documents": export["documents"],
                "export_missing": export["missing"][:20],
                "secret_leaks": len(leaks), "leaks": leaks[:20], "secret_values_scanned": len(self.secret_values),
                "access_tokens_scanned": len(self.access_tokens),
                "leak_sources": sorted(sources),
                "operator_starts": self.operator.starts, "tracebacks_in_log": log.count("Traceback"),
                "brand_calls": self.audit_seq, "salesforce_calls": self.salesforce.stats(), "seconds": converged}

    def export(self) -> dict[str, Any]:
        """`qxo export` of the live brand (its stdout and stderr both scanned), and what it failed to name:
        an export that names no install or account would make its leak scan pass vacuously."""
        result = subprocess.run(harness.qxo("export", "--brand-context", str(self.brand.credentials_path),
                                            "--namespace", NAMESPACE, "--allow-endpoint", "127.0.0.1"),
                                capture_output=True, text=True, timeout=120)
        documents = [d for d in yaml.safe_load_all(result.stdout) if d] if result.returncode == 0 else []
        named = {(d["kind"], d["spec"].get("extensionId") or d["spec"].get("displayName"))
                 for d in documents if d.get("kind") in ("ExtensionInstall", "ExtensionAccount")}
        wanted = {(kind, d["spec"].get("extensionId") or d["spec"].get("displayName"))
                  for (kind, _), d in self.declared.items() if kind in ("ExtensionInstall", "ExtensionAccount")}
        return {"text": result.stdout + result.stderr, "exit_code": result.returncode, "documents": len(documents),
                "missing": sorted(f"{kind}: {what}" for kind, what in wanted - named)}

    def close(self) -> None:
        self.operator.stop()
        self.cluster.close()
        self.kube.process.stop()
        self.brand.process.stop()
        self.salesforce.process.stop()


def passed(result: dict[str, Any]) -> bool:
    return (result["all_ready"] and not result["links_not_ready"] and result["duplicates"] == 0
            and not result["unexpected_accounts"] and not result["unexpected_connections"]
            and result["lost_changes"] == 0 and result["export_exit_code"] == 0 and result["export_documents"] > 0
            and not result["export_missing"] and result["secret_leaks"] == 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=100, help="resources declared at the start")
    parser.add_argument("--links", type=int, default=len(USERS), choices=range(len(USERS) + 1),
                        help="SalesforceLinks, one per brand user (default: one for each)")
    parser.add_argument("--kill-cycles", type=int, default=3, help="at least this many SIGKILLs")
    parser.add_argument("--min-faults", type=int, default=0, help="keep cycling until this many faults were injected")
    parser.add_argument("--max-cycles", type=int, default=200, help="give up cycling after this many")
    parser.add_argument("--kill-every", type=float, default=4.0, help="seconds of work before each kill")
    parser.add_argument("--changes-per-cycle", type=int, default=12, help="changes to existing objects per cycle")
    parser.add_argument("--salesforce-faults", type=int, default=2,
                        help="token requests refused with 503 after each cycle's refresh-token rotation")
    parser.add_argument("--keep-rotated", dest="revoke_rotated", action="store_false",
                        help="leave a rotated-out refresh token valid instead of revoking it")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for everything to be Ready at the end")
    parser.add_argument("--seed", type=int, default=7, help="seed of the fault draws")
    parser.add_argument("--keep-logs", metavar="DIR", help="keep sandbox and operator logs here")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    harness.stop_on_sigterm()
    with harness.workdir(args.keep_logs, "qxo-chaos-") as workdir:
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
