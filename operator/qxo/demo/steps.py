"""The demo's steps: converge, drift, rotation, uninstall; each waits for the operator and says what it saw.

A step never does the operator's work: it changes the world the way a person would (kubectl, the
brand's UI, a rotated Secret) and then watches the cluster and the brand's audit log until the
operator has reacted, or says exactly what did not happen.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from qxo.demo.brand import Audit, UiUser
from qxo.demo.children import DemoError
from qxo.demo.cluster import Cluster
from qxo.demo.progress import Display
from qxo.demo.sandboxes import UI_USER
from qxo.demo.tracker import Tracker

T = TypeVar("T")
DRIFT_INSTALL = "webservice"
DRIFT_DOMAIN = "https://legacy-intranet.acme.example"
ROTATED_ACCOUNT = "ticketing"
UNINSTALLED = "webservice"
SALESFORCE_GRACE = 20.0


@dataclass
class StepRecord:
    """One step's cost: counted from the audit totals at its start (`started`, `reads_before`, ...)."""

    name: str
    started: float
    reads_before: int
    writes_before: int
    audit_seq_before: int
    seconds: float = 0.0
    brand_reads: int = 0
    brand_writes: int = 0


@dataclass
class Demo:
    cluster: Cluster
    audit: Audit
    ui: UiUser
    display: Display
    tracker: Tracker
    watchdog: Callable[[], None] = lambda: None
    steps: list[StepRecord] = field(default_factory=list)
    applied_at: float = 0.0
    converged_at: float | None = None
    salesforce_reconciled: bool | None = None
    drift_corrected: int = 0
    rotations_applied: int = 0
    uninstalls: int = 0
    tenancy: Any = None  # what step 5 applies (qxo.demo.tenancy.Tree)

    # -- plumbing ------------------------------------------------------------------------------------

    def tick(self) -> None:
        self.watchdog()
        self.audit.poll()
        self.display.changes(self.tracker.refresh())
        self.display.draw(self.tracker, self.audit)

    def wait(self, what: str, check: Callable[[], T | None], timeout: float) -> T:
        deadline = time.monotonic() + timeout
        while True:
            self.tick()
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise DemoError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(0.25)

    def step(self, name: str, title: str) -> StepRecord:
        self.tick()
        self.display.begin(name, title)
        record = StepRecord(name, time.monotonic(), self.audit.operator.reads, self.audit.operator.writes,
                            self.audit.last)
        self.steps.append(record)
        return record

    def finish(self, record: StepRecord) -> None:
        self.tick()
        record.seconds = round(time.monotonic() - record.started, 2)
        record.brand_reads = self.audit.operator.reads - record.reads_before
        record.brand_writes = self.audit.operator.writes - record.writes_before
        self.display.say(f"   step cost: {record.brand_reads} brand reads, {record.brand_writes} brand writes, "
                         f"{record.seconds:.1f}s")

    def writes_in(self, record: StepRecord) -> list[dict[str, Any]]:
        return self.audit.operator_writes(record.audit_seq_before)

    def show_writes(self, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            request = entry.get("request")
            body = f" {json.dumps(request)}" if request else ""
            self.display.say(f"   brand audit #{entry['seq']}: {entry['who']} {entry['method']} {entry['path']}"
                             f" -> {entry['status']}{body}")

    def event(self, kind: str, name: str, contains: str) -> dict[str, Any] | None:
        return next((e for e in self.cluster.events() if e["kind"] == kind and e["name"] == name
                     and contains in e["message"]), None)

    # -- 1. converge ---------------------------------------------------------------------------------

    def gate(self) -> list[Any]:
        """The resources every one of which must be Ready (SalesforceLinks only if this build reconciles them)."""
        resources = self.tracker.ordered(include_deleted=False)
        if not self.salesforce_reconciled:
            resources = [r for r in resources if r.kind != "SalesforceLink"]
        return resources

    def converge(self, apply: Callable[[], int], timeout: float) -> None:
        record = self.step("converge", "1. Apply crds/ and examples/, wait until every resource is Ready")
        self.applied_at = time.monotonic()
        count = apply()
        self.display.say(f"   applied {count} objects from examples/ (rewritten for the sandboxes)")
        deadline = self.applied_at + timeout
        while True:
            self.tick()
            self._decide_salesforce()
            gate = self.gate()
            if gate and all(r.ready for r in gate) and self.salesforce_reconciled is not None:
                break
            if time.monotonic() > deadline:
                raise DemoError(self._not_ready_report(gate))
            time.sleep(0.25)
        self.converged_at = max(r.ready_at or 0 for r in gate)
        for resource in gate:
            self.display.say(f"   {resource.kind}/{resource.name} Ready after "
                             f"{resource.converge_seconds(self.applied_at):.1f}s")
        if self.salesforce_reconciled is False:
            links = ", ".join(r.name for r in self.tracker.of_kind("SalesforceLink"))
            self.display.say(f"   SalesforceLink {links}: not reconciled by this build (no status after "
                             f"{SALESFORCE_GRACE:.0f}s); left out of the readiness gate")
        first = min(r.status_at or self.converged_at for r in gate)
        self.display.say(f"   every resource Ready {self.converged_at - self.applied_at:.1f}s after apply: the "
                         f"operator's first status came at {first - self.applied_at:.1f}s (its startup), the "
                         f"rest took {self.converged_at - first:.1f}s")
        self.finish(record)

    def _decide_salesforce(self) -> None:
        links = self.tracker.of_kind("SalesforceLink")
        if not links:
            self.salesforce_reconciled = self.salesforce_reconciled or False
        elif any(r.has_status for r in links):
            self.salesforce_reconciled = True
        elif time.monotonic() - self.applied_at > SALESFORCE_GRACE:
            self.salesforce_reconciled = False

    def _not_ready_report(self, gate: list[Any]) -> str:
        lines = ["not every resource became Ready:"]
        for resource in gate:
            if not resource.ready:
                ready, synced, why = resource.summary()
                lines.append(f"  {resource.kind}/{resource.name}: Ready={ready} Synced={synced} {why}")
        return "\n".join(lines)

    # -- 2. drift ------------------------------------------------------------------------------------

    def drift(self, brand_name: str, timeout: float = 30) -> None:
        record = self.step("drift", "2. Drift: someone adds a domain in the brand's UI; the operator puts it back")
        install = self._present("ExtensionInstall", DRIFT_INSTALL)
        declared = sorted(install.body["spec"].get("domains") or ())
        self.ui.call("PUT", f"/extensions/{install.body['spec']['extensionId']}/domains",
                     {"domains": [*declared, DRIFT_DOMAIN]})
        extension_id = install.body["spec"]["extensionId"]
        self.display.say(f"   {UI_USER} (the other brand admin) added {DRIFT_DOMAIN} to {extension_id}'s "
                         f"allowed domains; the brand now allows {len(declared) + 1}")
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.cluster.annotate("QualtricsBrand", brand_name, {"qxo.dev/refresh": stamp})
        self.display.say(f"   annotated QualtricsBrand/{brand_name} qxo.dev/refresh={stamp} (observe now, "
                         "instead of at the next resyncInterval)")
        self.wait("the operator to remove the domain added in the UI",
                  lambda: self.ui.domains(extension_id) == declared, timeout)
        event = self.wait("the operator's Event about the domain",
                          lambda: self.event("ExtensionInstall", DRIFT_INSTALL, f"-{DRIFT_DOMAIN}"), 10)
        self.drift_corrected += 1
        self.display.say(f"   Event on ExtensionInstall/{DRIFT_INSTALL}: {event['reason']}: {event['message']}")
        self.show_writes(self.writes_in(record))
        self.finish(record)

    # -- 3. rotation ---------------------------------------------------------------------------------

    def rotate(self, timeout: float = 30) -> None:
        record = self.step("rotation", "3. Rotation: the account's credential Secret changes; the brand gets it")
        account = self._present("ExtensionAccount", ROTATED_ACCOUNT)
        secret_name = account.body["spec"]["credentials"]["secretRef"]["name"]
        before = ((account.body.get("status") or {}).get("appliedSecret") or {}).get("resourceVersion")
        new_value = secrets.token_urlsafe(24)
        version = self.cluster.update_secret(secret_name, {"password": new_value})
        self.display.say(f"   Secret {secret_name} changed: resourceVersion {before} -> {version} "
                         "(value not shown)")

        def applied() -> bool:
            resource = self.tracker.get("ExtensionAccount", ROTATED_ACCOUNT)
            status = resource.body.get("status") or {} if resource else {}
            return (status.get("appliedSecret") or {}).get("resourceVersion") == version
        self.wait("status.appliedSecret to show the new Secret version", applied, timeout)
        status = self.tracker.get("ExtensionAccount", ROTATED_ACCOUNT).body["status"]
        applied_secret = status["appliedSecret"]
        self.display.say(f"   ExtensionAccount/{ROTATED_ACCOUNT} status.appliedSecret: {applied_secret['name']} "
                         f"resourceVersion {applied_secret['resourceVersion']}, lastRotationTime "
                         f"{status.get('lastRotationTime')}")
        patches = self.wait("the brand's PATCH of the account",
                            lambda: [e for e in self.writes_in(record) if e["method"] == "PATCH"], 10)
        self.show_writes(patches)
        if any(new_value in str(e) for e in self.audit.entries):
            raise DemoError("the rotated credential appears in the brand's audit log")
        self.rotations_applied += 1
        self.finish(record)

    # -- 4. uninstall --------------------------------------------------------------------------------

    def uninstall(self, timeout: float = 30) -> dict[str, Any]:
        record = self.step("uninstall", "4. Uninstall: delete an ExtensionInstall; the brand revokes its access")
        install = self._present("ExtensionInstall", UNINSTALLED)
        extension_id = install.body["spec"]["extensionId"]
        before = self.ui.accounts(extension_id)
        names = self.ui.names()
        for account in before:
            self.display.say(f"   before: account {account['name']!r} ({account['id']}) usable by "
                             f"{describe_access(account['access'], names)}")
        self.cluster.delete("ExtensionInstall", UNINSTALLED)
        self.display.say(f"   deleted ExtensionInstall/{UNINSTALLED} (deletionPolicy Delete)")
        self.wait(f"ExtensionInstall/{UNINSTALLED} to be finalized and gone",
                  lambda: self.cluster.get("ExtensionInstall", UNINSTALLED) is None, timeout)
        uninstalls = self.wait(f"the brand's uninstall of {extension_id}", lambda: [
            e for e in self.writes_in(record)
            if e["method"] == "DELETE" and e["path"].endswith(f"/extensions/{extension_id}/installation")], 10)
        self.show_writes(uninstalls)
        after = self.ui.accounts(extension_id)
        revoked = [a for a in before if a["id"] not in {b["id"] for b in after}]
        self.display.say(f"   after: {extension_id} installed: {self.ui.installed(extension_id)}; the brand removed "
                         f"{len(revoked)} account(s) and every user's access to them")
        dependents = self._dependents_of(UNINSTALLED)
        for kind, name in dependents:
            self.cluster.delete(kind, name)
        if dependents:
            self.display.say("   deleted what described them: " + ", ".join(f"{k}/{n}" for k, n in dependents))
            self.wait("their finalizers", lambda: all(self.cluster.get(k, n) is None for k, n in dependents), timeout)
        self.uninstalls += len(uninstalls)
        self.finish(record)
        return {"extensionId": extension_id, "revokedAccounts": [
            {"id": a["id"], "name": a["name"], "access": describe_access(a["access"], names)} for a in revoked]}

    def _dependents_of(self, install_name: str) -> list[tuple[str, str]]:
        accounts = [r.name for r in self.tracker.of_kind("ExtensionAccount")
                    if (r.body["spec"].get("installRef") or {}).get("name") == install_name]
        grants = [r.name for r in self.tracker.of_kind("AccountGrant")
                  if (r.body["spec"].get("accountRef") or {}).get("name") in accounts]
        return [("AccountGrant", n) for n in grants] + [("ExtensionAccount", n) for n in accounts]

    def _present(self, kind: str, name: str) -> Any:
        resource = self.tracker.get(kind, name)
        if resource is None or resource.deleted:
            raise DemoError(f"examples/ has no {kind} {name}, which this step of the demo uses")
        return resource


def describe_access(access: dict[str, Any], names: dict[str, str]) -> str:
    parts = ["all users (User)"] if access.get("allUsers") else []
    parts += [f"{names.get(u['id'], u['id'])} ({u['access']})" for u in access.get("users") or ()]
    parts += [f"group {names.get(g['id'], g['id'])} ({g['access']})" for g in access.get("groups") or ()]
    return ", ".join(parts) or "no one"
