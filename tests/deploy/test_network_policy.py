"""manifests/: the operator's NetworkPolicy: egress to DNS, the API server and HTTPS only; ingress on two ports."""

from __future__ import annotations

import ipaddress

import pytest
from deploykit import by_kind, one

RENDERS = ["manifests", "manifests/overlays/namespaced"]
EGRESS_PORTS = {("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 6443)}
METADATA_ENDPOINTS = [ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("fe80::a9fe:a9fe")]
RULE_KEYS = {"to", "ports"}
PEER_KEYS = {"ipBlock", "namespaceSelector", "podSelector"}


@pytest.fixture(scope="module", params=RENDERS)
def install(request, render):
    return render(request.param)


@pytest.fixture(scope="module")
def policy(install):
    [policy] = by_kind(install, "NetworkPolicy")
    assert policy["apiVersion"] == "networking.k8s.io/v1"
    return policy


def pod_template(install) -> dict:
    return one(install, "Deployment", "qxo-operator")["spec"]["template"]


def test_the_policy_selects_the_operator_pod_in_its_namespace(install, policy):
    template = pod_template(install)
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= template["metadata"]["labels"].items()
    assert policy["metadata"]["namespace"] == one(install, "Deployment", "qxo-operator")["metadata"]["namespace"]
    assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]


def test_ingress_reaches_only_the_health_and_metrics_ports(install, policy):
    [container] = pod_template(install)["spec"]["containers"]
    named = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert set(named) == {"health", "metrics"}
    allowed = set()
    for rule in policy["spec"]["ingress"]:
        assert rule["ports"], "an ingress rule without ports would open every port"
        allowed |= {(port["protocol"], port["port"]) for port in rule["ports"]}
    assert allowed == {("TCP", "health"), ("TCP", "metrics")}


def test_egress_is_dns_the_api_server_and_https_only(policy):
    allowed = set()
    for rule in policy["spec"]["egress"]:
        assert set(rule) <= RULE_KEYS
        assert rule.get("ports"), "an egress rule without ports would allow every port"
        assert rule.get("to"), "an egress rule without peers would allow every destination"
        allowed |= {(port["protocol"], port["port"]) for port in rule["ports"]}
    assert allowed == EGRESS_PORTS


def test_dns_goes_only_to_the_cluster_resolver(policy):
    [dns] = [rule for rule in policy["spec"]["egress"] if any(port["port"] == 53 for port in rule["ports"])]
    assert {port["port"] for port in dns["ports"]} == {53}
    [peer] = dns["to"]
    assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kube-system"}
    assert peer["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}


def test_https_and_the_api_server_never_reach_a_link_local_or_metadata_address(policy):
    [web] = [rule for rule in policy["spec"]["egress"] if any(port["port"] == 443 for port in rule["ports"])]
    for peer in web["to"]:
        assert set(peer) <= PEER_KEYS and set(peer) == {"ipBlock"}
    blocks = [peer["ipBlock"] for peer in web["to"]]
    for address in METADATA_ENDPOINTS:
        covering = [block for block in blocks if address in ipaddress.ip_network(block["cidr"])]
        assert covering, f"{address}: no block of its family"
        for block in covering:
            assert any(address in ipaddress.ip_network(excepted) for excepted in block.get("except", ())), address
    for family in ("0.0.0.0/0", "::/0"):
        assert any(block["cidr"] == family for block in blocks), f"{family}: the API servers of either family"
