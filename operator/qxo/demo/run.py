"""Run the whole demo: processes up, steps in order, results out, and every process down again.

Whatever happens (success, a failed step, Ctrl-C, SIGTERM) the `finally` below stops every child
process group before returning, with further signals ignored so a second Ctrl-C cannot cut the
clean-up short.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, TextIO

from qxo.demo import manifests, report, sandboxes, tenancy
from qxo.demo.brand import Audit, UiUser
from qxo.demo.children import Children, DemoError
from qxo.demo.cluster import Cluster
from qxo.demo.progress import Display
from qxo.demo.sandboxes import Endpoints
from qxo.demo.steps import Demo
from qxo.demo.tracker import Tracker

CONVERGE_TIMEOUT = 90.0
TENANCY_TIMEOUT = 60.0


class Interrupted(BaseException):
    """SIGTERM, turned into an exception so the same clean-up runs as for Ctrl-C."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Interrupted()


def run(*, as_json: bool, keep: bool, workdir: str | None, stdout: TextIO = sys.stdout) -> int:
    explicit = workdir is not None
    display = Display(out=sys.stderr if as_json else stdout)
    try:
        work = Path(workdir).resolve() if explicit else Path(tempfile.mkdtemp(prefix="qxo-demo-"))
        work.mkdir(parents=True, exist_ok=True)
        sandboxes.fresh_workdir_files(work)
    except OSError as error:
        return _failed(display, as_json, stdout, f"--workdir {workdir}: cannot use it as the work directory: "
                                                 f"{error.strerror or error}")
    children = Children(work)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    # A shell starting us in the background may have left SIGINT ignored; the demo must still stop on it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    cluster: Cluster | None = None
    staying_up = False
    code = 1
    try:
        cluster, demo, endpoints, apply = _start(children, work, display)
        code = _steps(demo, endpoints, apply, as_json, stdout)
        if keep and code == 0:
            staying_up = True
            _stay_up(work, demo, endpoints)
    except DemoError as error:
        code = _failed(display, as_json, stdout, str(error))
        display.say(f"logs of every process are in {work} (operator.log, kube-sandbox.log, ...)")
    except (KeyboardInterrupt, Interrupted):
        display.say("interrupted: stopping the operator and the sandboxes")
        code = 0 if staying_up else 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            if cluster is not None:
                cluster.close()
            children.stop_all()
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, previous)
        if not explicit and not keep:
            shutil.rmtree(work, ignore_errors=True)
    return code


def _failed(display: Display, as_json: bool, stdout: TextIO, message: str) -> int:
    display.say(f"qxo demo failed: {message}")
    if as_json:
        print(json.dumps({"error": message}), file=stdout, flush=True)
    return 1


def _start(children: Children, work: Path, display: Display) -> tuple[Cluster, Demo, Endpoints, Callable[[], int]]:
    root = manifests.repository_root()
    display.say(f"qxo demo: the kube, brand and Salesforce sandboxes and the operator (work directory {work})")
    # The operator needs only the cluster: start it as soon as the kube sandbox is up, so its startup
    # overlaps the brand's and Salesforce's.
    starting = sandboxes.Starting(children, work)
    cluster = Cluster(starting.kube())
    for crd in manifests.crds(root):
        cluster.apply(crd)
    sandboxes.start_operator(children, starting.kube())
    endpoints = starting.rest()
    display.say(f"   kube sandbox      {_server(endpoints.kubeconfig)} (kubeconfig {endpoints.kubeconfig})")
    display.say(f"   brand sandbox     {endpoints.brand_url} (brand {endpoints.brand['brand_id']})")
    display.say(f"   Salesforce sandbox {endpoints.salesforce['login_url']} (CA {work / 'sf-ca.pem'})")
    display.say(f"   operator          qxo operator --namespace {sandboxes.NAMESPACE} and the namespaces of "
                f"examples/tenancy (log {work / 'operator.log'})")
    documents = manifests.for_sandboxes(manifests.examples(root), endpoints)
    shared = tenancy.tree(root, endpoints)

    def apply() -> int:
        for document in documents:
            cluster.apply(document)
        return len(documents)

    def watchdog() -> None:
        for child in children.children:
            if not child.alive():
                raise DemoError(f"the {child.name} exited with code {child.process.returncode}; its log "
                                f"({child.log}) ends with:\n{child.log_tail()}")

    demo = Demo(cluster, Audit(endpoints.brand_url), UiUser(endpoints), display, Tracker(cluster), watchdog=watchdog)
    demo.tenancy = shared
    return cluster, demo, endpoints, apply


def _server(kubeconfig: Path) -> str:
    import yaml

    with suppress(Exception):
        return yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    return "?"


def _steps(demo: Demo, endpoints: Endpoints, apply: Callable[[], int], as_json: bool, stdout: TextIO) -> int:
    display = demo.display
    demo.converge(apply, CONVERGE_TIMEOUT)
    brand = next(r.name for r in demo.tracker.of_kind("QualtricsBrand"))
    demo.drift(brand)
    demo.rotate()
    uninstalled = demo.uninstall()
    shared = tenancy.run_step(demo, tenancy.Kube(demo.cluster.api), demo.tenancy, TENANCY_TIMEOUT)
    demo.tick()
    display.begin("done", "6. What it cost: every resource, its conditions, time to converge, brand calls")
    for line in report.closing_table(demo):
        display.say("   " + line if line else "")
    document = {**report.document(demo, uninstalled), "tenancy": shared}
    leaked = [v for v in endpoints.secret_values() if v in json.dumps(document)]
    if leaked:
        raise DemoError("a sandbox credential would appear in the demo's JSON output")
    if as_json:
        print(json.dumps(document, indent=2), file=stdout, flush=True)
    display.say()
    display.say(f"qxo demo: done in {display.elapsed():.1f}s; every resource Ready, drift corrected "
                f"{demo.drift_corrected}x, {demo.rotations_applied} rotation applied, {demo.uninstalls} uninstall, "
                f"{len(shared['refused_at_admission'])} team request refused at admission")
    return 0


def _stay_up(work: Path, demo: Demo, endpoints: Endpoints) -> None:
    display = demo.display
    kubeconfig = work / "kubeconfig"
    display.say()
    display.say("--keep: everything stays up until Ctrl-C (or SIGTERM). Explore with:")
    display.say(f"   kubectl --kubeconfig {kubeconfig} get qualtrics -A")
    display.say(f"   kubectl --kubeconfig {kubeconfig} -n {sandboxes.NAMESPACE} describe extensioninstall brandwatch")
    display.say(f"   kubectl --kubeconfig {kubeconfig} -n {sandboxes.NAMESPACE} get events")
    display.say(f"   curl -s {endpoints.brand_url}/_sandbox/audit   # every brand call, credentials redacted")
    display.say(f"   tail -f {work / 'operator.log'}")
    while True:
        time.sleep(1)
        demo.watchdog()
