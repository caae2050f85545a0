"""The shipped RBAC is exactly what the operator uses: nothing missing, nothing to spare.

On the real control plane, with its requests recorded by the API server's audit log, the operator runs
as its ServiceAccount through everything it does (brands, installs, accounts, grants, SalesforceLinks
with a CA bundle and their token Secrets, a rotation, deletion) in each mode. Every request it made was
allowed, and every verb on every resource that the mode's Roles and ClusterRoles grant was used.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_lifecycle as lifecycle
from test_salesforce_link import LINKS, salesforce  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# What each mode binds to the operator's ServiceAccount (realclusterkit.RealCluster.install_operator_rbac).
BOUND = {
    "namespaced": ["manifests/operator", "manifests/tenant-resources", "manifests/tenant",
                   "manifests/tenant-salesforce"],
    "clusterwide": ["manifests/operator", "manifests/clusterwide", "manifests/tenant", "manifests/tenant-salesforce"],
}


def granted(cluster, mode: str) -> set[tuple[str, str, str]]:
    """(verb, apiGroup, resource) for every rule of every Role and ClusterRole the mode installs."""
    out = set()
    for path in BOUND[mode]:
        for document in cluster.kustomize(path):
            if document["kind"] in ("Role", "ClusterRole"):
                for rule in document["rules"]:
                    out |= {(verb, group, resource) for verb in rule["verbs"] for group in rule["apiGroups"]
                            for resource in rule["resources"]}
    return out


def used(events: list[dict]) -> set[tuple[str, str, str]]:
    out = set()
    for event in events:
        ref = event.get("objectRef") or {}
        if "resource" not in ref:
            continue
        resource = ref["resource"] + (f"/{ref['subresource']}" if ref.get("subresource") else "")
        out.add((event["verb"], ref.get("apiGroup", ""), resource))
    return out


def shared_brand(world) -> dict:
    return {"apiVersion": "qxo.dev/v1alpha1", "kind": "ClusterQualtricsBrand", "metadata": {"name": "rbac-shared"},
            "spec": {"baseURL": world.brand.base_url, "brandId": world.brand.brand_id,
                     "credentials": {"type": "APIToken", "namespace": "qxo-demo",
                                     "apiTokenSecretRef": {"name": "acme-api-token"}},
                     "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "qxo-demo"}}}}


def _ready(body: dict) -> bool:
    conditions = (body.get("status") or {}).get("conditions") or ()
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


USED: dict[str, set[tuple[str, str, str]]] = {}  # what each mode's run used, for the last test


@pytest.mark.parametrize("operator_mode", ["namespaced", "clusterwide"])
def test_every_request_the_operator_makes_is_allowed(world, salesforce, examples_with_salesforce,  # noqa: F811
                                                     real_cluster, operator_mode):
    documents = examples_with_salesforce({**salesforce.credentials, "ca_pem": Path(salesforce.ca_path).read_text()})
    objects = lifecycle.KINDS_IN_EXAMPLES + [("SalesforceLink", link) for link in LINKS]
    world.stop_operator()
    already = len(real_cluster.audit_events())
    # A ClusterQualtricsBrand too, its token read in the one namespace this run grants Secrets in.
    world.start_operator("--platform-namespace", "qxo-demo")
    world.apply([*documents, shared_brand(world)])
    for kind, name in objects:
        world.wait_condition(kind, name, timeout=90)
    world.wait_for(lambda: _ready(world.custom.get_cluster_custom_object("qxo.dev", "v1alpha1",
                                                                         "clusterqualtricsbrands", "rbac-shared")),
                   "ClusterQualtricsBrand rbac-shared to be Ready", 90)
    # A new generation of a link signs in again and writes its token Secret a second time.
    world.patch("SalesforceLink", LINKS[0], {"spec": {"refreshInterval": "20m"}})
    world.wait_condition("SalesforceLink", LINKS[0], timeout=90)
    world.core.patch_namespaced_secret("ticketing-credentials", "qxo-demo", {"stringData": {"password": "rotated"}})
    if not world.watches_secrets:
        world.refresh_brand()
    world.wait_for(lambda: any(w["method"] == "PATCH" for w in world.writes()), "the rotation to reach the brand")
    for kind, name in reversed(objects):
        world.delete(kind, name)
    world.custom.delete_cluster_custom_object("qxo.dev", "v1alpha1", "clusterqualtricsbrands", "rbac-shared")
    for kind, name in objects:
        world.wait_gone(kind, name)
    world.wait_for(lambda: not world.custom.list_cluster_custom_object("qxo.dev", "v1alpha1",
                                                                       "clusterqualtricsbrands")["items"],
                   "ClusterQualtricsBrand rbac-shared to go", 90)
    world.stop_operator()

    events = real_cluster.audit_events()[already:]
    forbidden = sorted({(e["verb"], e["requestURI"]) for e in events if e["responseStatus"]["code"] == 403})
    assert forbidden == [], f"the shipped RBAC refused the operator: {forbidden}"
    USED[operator_mode] = used(events)


def test_every_verb_the_shipped_rbac_grants_is_used(real_cluster):
    if set(USED) != set(BOUND):
        pytest.skip("needs both modes' runs above in the same session")
    granted_anywhere = set().union(*(granted(real_cluster, mode) for mode in BOUND))
    unused = sorted(granted_anywhere - set().union(*USED.values()))
    assert unused == [], f"granted but never used: {unused}"
