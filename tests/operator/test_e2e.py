"""The operator scenarios on the real control plane, the operator running as its own ServiceAccount.

Each scenario runs in namespaced mode (`--namespace qxo-demo`, Roles only) and in cluster-wide mode
(`--all-namespaces`, the default install's ClusterRole), with exactly the RBAC that manifests/ ships:
a verb missing there fails here. The brand stays the sandbox; Kubernetes is the real API server, so
admission, watches, finalizers and garbage collection are the real ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_lifecycle as lifecycle
import test_metrics as metrics
from test_salesforce_link import LINKS, salesforce  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MODES = pytest.mark.parametrize("operator_mode", ["namespaced", "clusterwide"])
# The listings one observation of the brand reads.
OBSERVATION_ROUTES = {"/API/v3/brands/{brandId}/extensions", "/API/v3/brands/{brandId}/accounts",
                      "/API/v3/brands/{brandId}/salesforce-connections"}

SCENARIOS = [
    lifecycle.test_examples_converge_with_exactly_the_writes_needed,
    lifecycle.test_out_of_band_domain_is_reverted,
    lifecycle.test_secret_rotation_reaches_the_account_without_leaking,
    lifecycle.test_observe_only_and_pause_make_no_brand_write,
    lifecycle.test_uninstall_on_delete_revokes_and_orphan_leaves_it,
    lifecycle.test_invalid_spec_is_refused_with_the_field_and_no_write,
    lifecycle.test_restart_in_the_middle_of_creating_leaves_one_of_each,
    lifecycle.test_everything_deleted_while_the_operator_was_down_still_goes,
    lifecycle.test_every_semantic_fixture_is_refused_at_its_field_without_a_brand_write,
]


@MODES
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.__name__.removeprefix("test_"))
def test_scenario(world, examples, scenario, operator_mode):
    scenario(world, examples)


@MODES
def test_a_killed_operator_restarts_without_a_brand_write(world, examples, operator_mode):
    lifecycle.converge(world, examples)
    writes, mark = len(world.writes()), len(world.audit())
    world.kill_operator()
    port = metrics.free_port()
    world.start_operator("--metrics-port", str(port))
    # Every object converged again by the new process (its resume), and the brand was not written.
    def converged_again() -> bool:
        try:
            return metrics.counts(metrics.scrape(port))[1] >= len(lifecycle.KINDS_IN_EXAMPLES)
        except OSError:  # not serving yet
            return False
    world.wait_for(converged_again, "the restarted operator to converge every object", timeout=90)
    assert len(world.writes()) == writes
    # It reads one observation's pages and nothing else: who it is and who each grant names are in the
    # statuses, sealed with the brand's credentials (no whoami, no users or groups).
    routes = [r["route"] for r in world.reads(since=mark)]
    assert set(routes) <= OBSERVATION_ROUTES, routes


@MODES
def test_deleting_everything_releases_every_finalizer(world, examples, operator_mode):
    lifecycle.converge(world, examples)
    for kind, name in reversed(lifecycle.KINDS_IN_EXAMPLES):
        world.delete(kind, name)
    for kind, name in lifecycle.KINDS_IN_EXAMPLES:
        world.wait_gone(kind, name)
    extensions = world.brand_call("GET", "/brands/{brandId}/extensions?pageSize=100")["elements"]
    installed = {e["id"] for e in extensions if e["installed"]}
    assert "webservice" not in installed and "brandwatch" in installed  # brandwatch's deletionPolicy is Orphan


def test_kubectl_waits_for_ready_and_lists_the_qualtrics_category(world, examples):
    world.apply(examples)
    plurals = "qualtricsbrands,extensioninstalls,extensionaccounts,accountgrants"
    world.kubectl("wait", "--for=condition=Ready", plurals, "--all", "-n", "qxo-demo", "--timeout=90s")
    listed = world.kubectl("get", "qualtrics", "-n", "qxo-demo").stdout
    rows = [line.split() for line in listed.splitlines() if line and not line.startswith("NAME")]
    assert len(rows) == len(lifecycle.KINDS_IN_EXAMPLES) and all(row[1:3] == ["True", "True"] for row in rows), listed


def test_a_links_token_secret_is_garbage_collected_with_the_link(world, salesforce,  # noqa: F811
                                                                  examples_with_salesforce):
    world.apply(examples_with_salesforce({**salesforce.credentials,
                                          "ca_pem": Path(salesforce.ca_path).read_text()}))
    world.wait_condition("SalesforceLink", LINKS[0], timeout=90)
    name = world.get("SalesforceLink", LINKS[0])["status"]["tokenSecretName"]
    token = world.core.read_namespaced_secret(name, "qxo-demo")
    [owner] = token.metadata.owner_references
    assert (owner.kind, owner.name) == ("SalesforceLink", LINKS[0])
    world.delete("SalesforceLink", LINKS[0])
    world.wait_gone("SalesforceLink", LINKS[0])
    # Kubernetes' garbage collector (kube-controller-manager) removes it: nothing in qxo deletes Secrets.
    world.wait_for(lambda: name not in {s.metadata.name for s in world.core.list_namespaced_secret("qxo-demo").items},
                   "the link's token Secret to be garbage-collected")

