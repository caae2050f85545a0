"""Each benchmark script at a tiny size, end to end, so none of them can rot between benchmark runs.

These assert what the scripts report and the invariants that hold at any size (no figure is timed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
pytestmark = pytest.mark.slow


def run_script(name: str, *args: str, ok: tuple[int, ...] = (0,)) -> dict:
    result = subprocess.run([sys.executable, str(BENCHMARKS / name), *args, "--json"], capture_output=True,
                            text=True, timeout=240)
    assert result.returncode in ok, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_converge_reports_every_figure_and_writes_only_what_is_needed():
    report = run_script("converge.py", "--resources", "8", "--steady", "refresh", "--rate-limit", "3000")
    for key in ("resources", "converge_seconds", "bare_kopf_converge_seconds", "throughput_ratio_vs_bare_kopf",
                "changes_needed", "brand_writes", "steady_state_reads", "steady_state_writes", "peak_rss_mb",
                "rate_bound_seconds", "rate_bound_ratio"):
        assert key in report, key
    assert report["resources"] == 8
    # the brand, two installs (3 writes each), three accounts and two grants (1 write each)
    assert report["changes_needed"] == 2 * 3 + 3 + 2
    assert report["brand_writes"] == report["changes_needed"]
    assert report["steady_state_writes"] == 0
    assert report["peak_rss_mb"] > 0 and report["cpu_seconds"] > 0
    assert report["budget"] == 3000  # spec.rateLimit follows the brand sandbox's limit
    # One status write per object: dependents waited silently instead of reporting a passing Waiting.
    declared = {"ExtensionInstall": 2, "ExtensionAccount": 3, "AccountGrant": 2}
    patches = report["kube_requests_by_verb"]["patch"]
    assert {kind: patches[f"{kind.lower()}s/status"] for kind in declared} == declared
    assert {kind: report["converges"][kind]["ready"] for kind in declared} == declared
    assert all("waiting" not in report["converges"][kind] for kind in declared)


def test_handler_shapes_converges_the_bare_work_in_each_shape():
    report = run_script("handler_shapes.py", "--resources", "6")
    for shape in ("timer", "daemon", "handlers"):
        assert report[shape]["converge_seconds"] > 0 and len(report[shape]["converge_seconds_each"]) == 1, shape
        # Each shape writes each object's Ready once: the same status patches whatever kopf calls.
        assert report[shape]["kube_requests"] >= 6, shape


def test_converge_restart_reports_a_restart_that_writes_nothing_and_reads_only_observations():
    report = run_script("converge.py", "--resources", "8", "--steady", "refresh", "--restart", "--skip-bare",
                        "--budget", "3000")
    assert {"restart_seconds", "restart_writes", "restart_reads"} <= set(report)
    assert report["restart_writes"] == 0
    # One observation (its listings, the directory of users and groups its ownership checks read) and whoami.
    reads = {call.split(" ", 1)[1] for call in report["restart_calls"]}
    assert reads <= {"/API/v3/whoami", "/API/v3/brands/{brandId}/extensions", "/API/v3/brands/{brandId}/accounts",
                     "/API/v3/brands/{brandId}/salesforce-connections", "/API/v3/users", "/API/v3/groups"}, reads
    assert all(call.startswith("GET ") for call in report["restart_calls"])
    # every object converged again by the new process
    converged = sum(sum(by_result.values()) for by_result in report["restart_converges"].values())
    assert converged >= report["resources"]
    # --budget alone bounds the run: every change and one observation at 50 calls a second
    assert report["rate_bound_seconds"] == round((report["changes_needed"] + report["observation_pages"]) / 50, 2)


@pytest.mark.e2e
def test_converge_on_the_real_control_plane_reports_the_same_figures(real_cluster):
    """`--kube real`: the same workload and JSON keys against hack/real-cluster (its own control plane)."""
    sandbox_keys = {"converge_seconds", "bare_kopf_converge_seconds", "throughput_ratio_vs_bare_kopf",
                    "kube_requests", "kube_requests_by_verb", "kube_sandbox_cpu_seconds", "brand_writes",
                    "changes_needed", "steady_state_writes", "steady_state_kube_requests", "converges"}
    report = run_script("converge.py", "--resources", "8", "--steady", "refresh", "--kube", "real")
    assert report["kube"] == "real" and sandbox_keys <= set(report)
    assert report["brand_writes"] == report["changes_needed"] == 2 * 3 + 3 + 2
    assert report["steady_state_writes"] == 0
    # The API server's own counters: one status patch per object, as on the sandbox.
    patches = report["kube_requests_by_verb"]["patch"]
    assert {kind: patches[f"{kind}s/status"] for kind in ("extensioninstall", "extensionaccount", "accountgrant")} \
        == {"extensioninstall": 2, "extensionaccount": 3, "accountgrant": 2}
    assert report["kube_sandbox_cpu_seconds"] > 0  # etcd, kube-apiserver and kube-controller-manager


@pytest.fixture(scope="module")
def chaos() -> dict:
    return run_script("chaos.py", "--resources", "8", "--kill-cycles", "1", "--kill-every", "2",
                      "--changes-per-cycle", "3", "--timeout", "150", ok=(0, 1))


def test_chaos_ends_with_every_invariant_checked(chaos):
    for key in ("kill_cycles", "faults_injected", "ready", "resources", "duplicates", "lost_changes", "secret_leaks"):
        assert key in chaos, key
    assert chaos["kill_cycles"] == 1
    # the cycle declares one more install with its accounts and grants; a link per plain brand user
    assert chaos["resources"] == 8 + 5 + 4
    assert chaos["ready"] == chaos["resources"], chaos["not_ready"]
    assert chaos["duplicates"] == 0 and chaos["lost_changes"] == 0, chaos["lost"]
    assert chaos["secret_leaks"] == 0, chaos["leaks"]
    assert chaos["secret_values_scanned"] >= 5


def test_chaos_links_every_owner_once_with_the_rotated_credentials(chaos):
    assert chaos["links"] == 4 and chaos["links_not_ready"] == []
    assert chaos["brand_connections"] == 4 and chaos["unexpected_connections"] == []
    assert chaos["duplicate_counts"] == {"accounts": 0, "grants": 0, "connections": 0}
    assert chaos["salesforce_faults_injected"] == 2  # the token endpoint refused calls after the rotation
    assert chaos["access_tokens_scanned"] >= 4  # one per link at least, read from the operator's token Secrets


def test_chaos_scans_a_qxo_export_that_names_every_install_and_account(chaos):
    assert chaos["export_exit_code"] == 0 and chaos["export_missing"] == []
    # the brand and its token Secret placeholder, 3 installs, 5 accounts with theirs, 4 grants at least
    assert chaos["export_documents"] >= 2 + 3 + 2 * 5 + 4
    assert {"qxo export", "operator log", "events", "statuses", "brand audit log"} <= set(chaos["leak_sources"])


@pytest.fixture(scope="module")
def bad_input() -> dict:
    return run_script("bad_input.py", "--fuzz-examples", "25", "--settle", "4", ok=(0, 1))


def test_bad_input_is_refused_naming_the_field_and_never_crashes_the_operator(bad_input):
    assert bad_input["fixtures"] >= 100
    assert bad_input["admission_failures"] == []
    assert bad_input["validate_failures"] == [] and bad_input["validate_exit_code"] == 1
    assert bad_input["fuzzed_invalid"] > 0
    assert bad_input["operator_alive"] and bad_input["tracebacks_in_log"] == 0


def test_bad_input_makes_no_brand_write(bad_input):
    assert bad_input["brand_write_calls"] == []


def test_memory_reports_what_each_structure_holds_per_object():
    report = run_script("memory.py", "--objects", "40")
    assert report["by_kind"] == {"ExtensionInstall": 8, "ExtensionAccount": 16, "AccountGrant": 15}
    for figure in ("relations_bytes_per_object", "written_status_bytes_per_object", "qxo_sleeping_loop_bytes",
                   "bare_sleeping_timer_bytes", "observation_bytes_per_entry"):
        assert report[figure] > 0, figure
    for shape in ("qxo_body_bytes", "bare_body_bytes"):
        assert set(report[shape]) == set(report["by_kind"]) and min(report[shape].values()) > 500, shape
