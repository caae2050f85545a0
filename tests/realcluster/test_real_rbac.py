"""What the shipped RBAC lets the operator's ServiceAccount do, asked of the real API server (`kubectl auth can-i`).

The operator reads Secrets only where a tenant Role grants it; it never writes the qxo kinds' specs by
replacing them, never deletes a Secret, and holds nothing cluster-wide on Secrets or ConfigMaps.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

TENANT, STRANGER = "qxo-rbac-tenant", "qxo-rbac-stranger"


@pytest.fixture(scope="module", params=["namespaced", "clusterwide"])
def cluster(request, real_cluster):
    for namespace in (TENANT, STRANGER):
        real_cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}])
    real_cluster.install_operator_rbac(request.param, TENANT)
    yield real_cluster
    for namespace in (TENANT, STRANGER):
        real_cluster.kubectl("delete", "namespace", namespace, "--ignore-not-found", "--timeout=120s")


@pytest.mark.parametrize("verb", ["get", "list", "watch"])
def test_secrets_are_read_only_where_the_tenant_role_allows_it(cluster, verb):
    assert cluster.can_i(verb, "secrets", TENANT)
    assert not cluster.can_i(verb, "secrets", STRANGER)
    assert not cluster.can_i(verb, "secrets")  # across all namespaces


@pytest.mark.parametrize("verb", ["update", "delete", "deletecollection"])
def test_no_secret_is_ever_replaced_or_deleted(cluster, verb):
    assert not cluster.can_i(verb, "secrets", TENANT)


def test_configmaps_are_read_by_name_in_the_tenant_namespace_only(cluster):
    assert cluster.can_i("get", "configmaps", TENANT)
    assert not cluster.can_i("list", "configmaps", TENANT)
    assert not cluster.can_i("get", "configmaps", STRANGER)


@pytest.mark.parametrize("verb", ["list", "watch", "patch"])
def test_the_qxo_kinds_are_watched_and_patched_in_the_tenant_namespace(cluster, verb):
    for resource in ("qualtricsbrands.qxo.dev", "extensioninstalls.qxo.dev", "accountgrants.qxo.dev"):
        assert cluster.can_i(verb, resource, TENANT)


@pytest.mark.parametrize("verb", ["get", "create", "update", "delete"])
def test_the_qxo_kinds_are_never_read_one_by_one_created_replaced_or_deleted(cluster, verb):
    assert not cluster.can_i(verb, "extensioninstalls.qxo.dev", TENANT)


def test_nothing_beyond_kopfs_own_discovery_cluster_wide(cluster):
    assert cluster.can_i("list", "customresourcedefinitions.apiextensions.k8s.io")
    assert not cluster.can_i("create", "customresourcedefinitions.apiextensions.k8s.io")
    assert not cluster.can_i("get", "nodes")
    assert not cluster.can_i("create", "pods", TENANT)
