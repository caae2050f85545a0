"""The operator scenarios against a real cluster (kind or any): run with QXO_E2E_KUBECONFIG set.

The brand stays the sandbox (on this machine, which is where the operator process runs too);
Kubernetes is the real API server, so CRD admission, watches and finalizers are the real ones.
"""

from __future__ import annotations

import pytest
import yaml
from test_lifecycle import add_a_domain_in_the_ui_and_wait_for_its_removal, converge, find

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_examples_converge_and_drift_is_reverted_on_a_real_cluster(world, examples):
    converge(world, examples)
    add_a_domain_in_the_ui_and_wait_for_its_removal(world, examples)


def test_a_malformed_manifest_is_refused_by_the_real_api_server(world, examples):
    install = find(examples, "ExtensionInstall", "webservice")
    bad = {**install, "spec": {**install["spec"], "domains": ["http://plain.example"]}}
    result = world.kubectl("apply", "-f", "-", input=yaml.safe_dump(bad), check=False)
    assert result.returncode != 0 and "spec.domains[0]" in result.stderr


def test_uninstall_on_delete_on_a_real_cluster(world, examples):
    converge(world, examples)
    world.delete("ExtensionInstall", "webservice")
    world.wait_gone("ExtensionInstall", "webservice")
    assert [w for w in world.writes() if w["method"] == "DELETE" and w["route"].endswith("installation")]
