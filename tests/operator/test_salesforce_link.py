"""SalesforceLink with the operator in the loop: token refresh, preflight, the owner's connection."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_lifecycle import KINDS_IN_EXAMPLES

from qxo.sandbox.salesforce import SalesforceSandbox

pytestmark = pytest.mark.slow

LINKS = ("ana-lima-production", "ben-okafor-sandbox")


@pytest.fixture
def salesforce():
    with SalesforceSandbox.run_in_thread() as sandbox:
        yield sandbox


@pytest.fixture
def documents(salesforce, examples_with_salesforce):
    return examples_with_salesforce({**salesforce.credentials, "ca_pem": Path(salesforce.ca_path).read_text()})


def test_example_links_become_ready_and_register_the_owners_connections(world, salesforce, documents):
    world.apply(documents)
    for name in LINKS:
        world.wait_condition("SalesforceLink", name, timeout=90)
    status = world.get("SalesforceLink", "ana-lima-production")["status"]
    assert {c["type"]: c["status"] for c in status["conditions"]}["PreflightPassed"] == "True"
    assert all(check["result"] == "Passed" for check in status["checks"])
    assert status["externalId"]
    token = world.core.read_namespaced_secret(status["tokenSecretName"], "qxo-demo")
    assert set(token.data) == {"access_token", "instance_url", "expires_at"}
    connections = world.brand_call("GET", "/brands/{brandId}/salesforce-connections?pageSize=100")["elements"]
    owners = sorted(c["userId"] for c in connections)
    assert len(owners) == 2 and len(set(owners)) == 2
    secrets = [salesforce.refresh_token, salesforce.production_refresh_token, salesforce.credentials["client_secret"]]
    leaked = [s for s in secrets if s in world.log_text() or s in str(status)
              or s in str([e.message for e in world.events()])]
    assert leaked == []


def test_a_broken_requirement_turns_the_link_not_ready_naming_the_check(world, salesforce, documents):
    # ana's link is a Production link: it logs in to the sandbox's Production org.
    salesforce.patch_production({"permissionSets": {"X00e5g000001QxoIAAS": {"userPermissions": {"ApiEnabled": False}}}})
    world.apply(documents)
    condition = world.wait_condition("SalesforceLink", "ana-lima-production", status="False",
                                     reason="PreflightFailed", timeout=90)
    assert "ApiEnabled" in condition["message"]
    connections = world.brand_call("GET", "/brands/{brandId}/salesforce-connections?pageSize=100")["elements"]
    assert [c["environment"] for c in connections if c["orgId"] == salesforce.production_org_id] == []


def test_revoked_refresh_token_stops_until_the_secret_is_replaced(world, salesforce, documents):
    salesforce.revoke_refresh_tokens()
    world.apply(documents)
    for name in LINKS:  # both links use the revoked token: wait until both have stopped
        world.wait_condition("SalesforceLink", name, status="False", reason="RefreshTokenRevoked", timeout=90)
    calls = salesforce.counters["tokenRequests"]
    time.sleep(3)  # nothing retries a revoked token while its Secret stays the same
    assert salesforce.counters["tokenRequests"] == calls
    fresh = salesforce.mint_refresh_token(salesforce.production_org_id)  # ana links the Production org
    world.core.patch_namespaced_secret("salesforce-ana-lima", "qxo-demo", {"stringData": {"refresh_token": fresh}})
    world.wait_condition("SalesforceLink", "ana-lima-production", timeout=90)
    assert fresh not in world.log_text()
    assert salesforce.counters["tokenRequests"] > calls


def connections_of(world):
    return world.brand_call("GET", "/brands/{brandId}/salesforce-connections?pageSize=100")["elements"]


def test_a_new_owner_is_a_new_connection_and_the_old_one_goes(world, salesforce, documents):
    world.apply(documents)
    world.wait_condition("SalesforceLink", "ana-lima-production", timeout=90)
    before = world.get("SalesforceLink", "ana-lima-production")["status"]["externalId"]
    world.patch("SalesforceLink", "ana-lima-production", {"spec": {"owner": "chen.wei@acme.example"}})
    world.wait_for(lambda: world.get("SalesforceLink", "ana-lima-production")["status"].get("externalId")
                   not in (None, before), "a connection under the new owner")
    world.wait_condition("SalesforceLink", "ana-lima-production", timeout=60)
    ids = {c["id"] for c in connections_of(world)}
    assert before not in ids
    assert world.get("SalesforceLink", "ana-lima-production")["status"]["externalId"] in ids


def test_a_second_link_to_the_same_org_is_refused_and_so_is_a_connection_the_brand_refuses(
        world, salesforce, documents):
    ben = next(d for d in documents if d["metadata"]["name"] == "ben-okafor-sandbox")
    twin = {**ben, "metadata": {**ben["metadata"], "name": "ben-okafor-twin"}}
    world.apply(documents)
    world.wait_condition("SalesforceLink", "ben-okafor-sandbox", timeout=90)
    world.apply(twin)
    condition = world.wait_condition("SalesforceLink", "ben-okafor-twin", status="False", reason="DuplicateLink")
    assert condition["message"].startswith("spec.owner:")
    # No Qualtrics page states a limit on connections per user; a brand that has one (the sandbox's knob)
    # refuses the sixth, and the link says so naming spec.owner.
    world.brand.max_salesforce_connections = 5
    chen = world.brand_call("GET", "/users?pageSize=100")["elements"]
    chen_id = next(u["id"] for u in chen if u["username"] == "chen.wei@acme.example")
    for i in range(5):
        world.brand_call("POST", f"/users/{chen_id}/salesforce-connections",
                         {"name": f"ui-{i}", "environment": "Production", "instanceUrl": f"https://org{i}.example.com",
                          "orgId": f"00D00000000000{i}AAA", "credentials": {}})
    world.patch("SalesforceLink", "ana-lima-production", {"spec": {"owner": "chen.wei@acme.example"}})
    condition = world.wait_condition("SalesforceLink", "ana-lima-production", status="False",
                                     reason="SalesforceConnectionLimit")
    assert condition["message"].startswith("spec.owner:") and "at most 5" in condition["message"]


def test_a_restart_sends_the_brand_nothing_it_already_has(world, salesforce, documents):
    world.apply(documents)
    for name in LINKS:
        world.wait_condition("SalesforceLink", name, timeout=90)
    for kind, name in KINDS_IN_EXAMPLES:  # everything converged, so any write after the restart is waste
        world.wait_condition(kind, name)
    before = {name: world.get("SalesforceLink", name)["status"]["lastPreflightTime"] for name in LINKS}
    writes, mark = len(world.writes()), len(world.audit())
    world.kill_operator()
    time.sleep(1.1)  # lastPreflightTime has one-second resolution
    world.start_operator()
    world.wait_for(lambda: all(world.get("SalesforceLink", name)["status"]["lastPreflightTime"] != before[name]
                               for name in LINKS), "the restarted operator to check every link again", timeout=90)
    world.wait_condition("SalesforceLink", "ana-lima-production")
    assert len(world.writes()) == writes
    # Nor asks it what the sealed statuses say: no whoami, and no owner looked up among the users again.
    routes = {r["route"] for r in world.reads(since=mark)}
    assert routes <= {"/API/v3/brands/{brandId}/extensions", "/API/v3/brands/{brandId}/accounts",
                      "/API/v3/brands/{brandId}/salesforce-connections"}, routes


def test_checks_the_user_cannot_verify_are_reported_and_the_link_is_ready_anyway(world, salesforce, documents):
    # The seed: the linked user need not be a System Administrator. Without View Setup and Configuration or
    # Modify Metadata the user meets the seed's requirements but cannot prove all of them.
    salesforce.patch_org({"permissionSets": {"Qualtrics_Preflight": {"userPermissions": {
        "ViewSetup": False, "ModifyMetadata": False}}}})
    world.apply(documents)
    world.wait_condition("SalesforceLink", "ben-okafor-sandbox", timeout=90)
    preflight = world.condition("SalesforceLink", "ben-okafor-sandbox", "PreflightPassed")
    assert (preflight["status"], preflight["reason"]) == ("Unknown", "ChecksUnverified")
    for named in ("ObjectAccess", "PermittedUsers", "View Setup and Configuration", "SessionIpLocking",
                  "LoginIpRanges", "Modify Metadata Through Metadata API Functions"):
        assert named in preflight["message"]
    assert world.get("SalesforceLink", "ben-okafor-sandbox")["status"]["externalId"]
    # A team that insists on verified checks says so in the spec.
    world.patch("SalesforceLink", "ben-okafor-sandbox", {"spec": {"preflight": {"requireVerified": True}}})
    condition = world.wait_condition("SalesforceLink", "ben-okafor-sandbox", status="False",
                                     reason="PreflightUnverified", timeout=90)
    assert condition["message"].startswith("spec.preflight.requireVerified:")


def test_an_environment_that_contradicts_the_org_and_a_renamed_connected_app(world, salesforce, documents):
    ben = next(d for d in documents if d["metadata"]["name"] == "ben-okafor-sandbox")
    ben["spec"]["environment"] = "Production"  # ben's refresh token belongs to the Sandbox org
    world.apply(documents)
    condition = world.wait_condition("SalesforceLink", "ben-okafor-sandbox", status="False",
                                     reason="PreflightFailed", timeout=90)
    assert "Environment Failed" in condition["message"] and "Organization.IsSandbox = true" in condition["message"]
    # The connected app's name comes from the spec: renamed in the org, checked under its new name.
    apps = salesforce.org["connectedApps"]
    salesforce.patch_org({"connectedApps": {"Qualtrics Surveys": None,
                                            "Qualtrics Surveys EU": apps["Qualtrics Surveys"]}})
    world.patch("SalesforceLink", "ben-okafor-sandbox",
                {"spec": {"environment": "Sandbox", "connectedApp": "Qualtrics Surveys EU"}})
    world.wait_condition("SalesforceLink", "ben-okafor-sandbox", timeout=90)
    checks = {c["name"]: c for c in world.get("SalesforceLink", "ben-okafor-sandbox")["status"]["checks"]}
    assert checks["PermittedUsers"]["result"] == "Passed"
    assert "Qualtrics Surveys EU" in checks["PermittedUsers"]["message"]
