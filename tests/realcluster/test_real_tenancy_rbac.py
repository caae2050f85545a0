"""The shipped team roles on the real API server (`kubectl auth can-i`): a team writes its own objects and its
own Secrets in its own namespace, and nothing of another team's, the platform's installs or the brand token.

The roles are manifests/team/, bound as examples/tenancy/05-team-access.yaml binds them; the operator's own
access is the default install plus the tenant overlays of the two team namespaces.
"""

from __future__ import annotations

import pytest
import yaml

from realclusterkit import ROOT

pytestmark = pytest.mark.e2e

TENANCY = ROOT / "examples" / "tenancy"
MARKETING = ("ana", "acme:team-marketing")  # a member of team marketing
OPERATOR = "system:serviceaccount:qxo-system:qxo-operator"


@pytest.fixture(scope="module")
def cluster(real_cluster):
    namespaces = [d for d in yaml.safe_load_all((TENANCY / "00-namespaces.yaml").read_text()) if d]
    real_cluster.apply(namespaces)
    real_cluster.kubectl("apply", "-k", str(ROOT / "manifests"))
    real_cluster.kubectl("apply", "-k", str(ROOT / "manifests" / "team"))
    for team in ("team-marketing", "team-support"):
        real_cluster.kubectl("apply", "-k", str(ROOT / "manifests" / "tenants" / team))
    real_cluster.kubectl("apply", "-f", str(TENANCY / "05-team-access.yaml"))
    yield real_cluster
    real_cluster.kubectl("delete", "-f", str(TENANCY / "05-team-access.yaml"), "--ignore-not-found")
    for doc in namespaces:
        if doc["metadata"]["name"] != "qxo-system":
            real_cluster.kubectl("delete", "namespace", doc["metadata"]["name"], "--wait=false", "--ignore-not-found")


def member_can(cluster, verb: str, resource: str, namespace: str | None = None, who=MARKETING) -> bool:
    user, group = who
    args = ["auth", "can-i", verb, resource, "--as", user, "--as-group", group,
            *(["-n", namespace] if namespace else [])]
    answer = cluster.kubectl(*args, check=False).stdout.strip()
    assert answer in ("yes", "no"), answer
    return answer == "yes"


@pytest.mark.parametrize("resource", ["extensionaccounts.qxo.dev", "accountgrants.qxo.dev",
                                      "extensioninstalls.qxo.dev", "secrets"])
@pytest.mark.parametrize("verb", ["create", "patch", "delete"])
def test_a_team_writes_its_own_objects_and_credentials_in_its_namespace(cluster, verb, resource):
    assert member_can(cluster, verb, resource, "team-marketing")


@pytest.mark.parametrize("resource", ["extensionaccounts.qxo.dev", "accountgrants.qxo.dev",
                                      "extensioninstalls.qxo.dev", "secrets"])
@pytest.mark.parametrize("verb", ["get", "create", "update", "patch", "delete"])
def test_a_team_cannot_touch_another_teams_objects(cluster, verb, resource):
    assert not member_can(cluster, verb, resource, "team-support")


@pytest.mark.parametrize("verb", ["update", "patch", "delete"])
def test_a_team_cannot_change_or_delete_the_platforms_installs(cluster, verb):
    assert not member_can(cluster, verb, "extensioninstalls.qxo.dev", "qxo-platform")


@pytest.mark.parametrize("verb", ["get", "list", "watch"])
def test_no_team_can_read_the_brand_token(cluster, verb):
    for who in (MARKETING, ("bob", "acme:team-support")):
        assert not member_can(cluster, verb, "secrets", "qxo-system", who)
        assert not member_can(cluster, verb, "secrets", None, who)


def test_a_team_reads_back_only_the_secret_it_names_and_lists_none(cluster):
    assert member_can(cluster, "get", "secrets", "team-marketing")
    assert not member_can(cluster, "list", "secrets", "team-marketing")
    assert not member_can(cluster, "watch", "secrets", "team-marketing")


def test_a_team_sees_the_shared_brands_and_policies_but_declares_no_brand(cluster):
    for resource in ("clusterqualtricsbrands.qxo.dev", "extensionpolicies.qxo.dev"):
        assert member_can(cluster, "get", resource) and member_can(cluster, "list", resource)
        assert not member_can(cluster, "create", resource) and not member_can(cluster, "patch", resource)
    assert not member_can(cluster, "create", "qualtricsbrands.qxo.dev", "team-marketing")
    assert not member_can(cluster, "create", "salesforcelinks.qxo.dev", "team-marketing")


def test_the_operator_reads_secrets_in_the_team_namespaces_and_its_own_only(cluster):
    assert cluster.can_i("get", "secrets", "qxo-system", user=OPERATOR)
    for team in ("team-marketing", "team-support"):
        assert cluster.can_i("get", "secrets", team, user=OPERATOR)
    assert not cluster.can_i("get", "secrets", "qxo-platform", user=OPERATOR)
    assert not cluster.can_i("update", "secrets", "qxo-system", user=OPERATOR)
