"""The seed's ownership rules and the drift the UI can cause, with the operator in the loop.

Owner access is for Brand Administrators; Owner access through a group counts; the operator never locks
itself out of an account it adopted; credentials edited in the UI are sent again; deleting an
ExtensionAccount deletes the brand's account.
"""

from __future__ import annotations

import pytest
from test_lifecycle import converge, find
from test_metrics import free_port, scrape

pytestmark = pytest.mark.slow

ADMIN, OPS = "admin@acme.example", "ops@acme.example"


def user_ids(world) -> dict[str, str]:
    return {u["username"]: u["id"] for u in world.brand_call("GET", "/users?pageSize=100")["elements"]}


def group_ids(world) -> dict[str, str]:
    return {g["name"]: g["id"] for g in world.brand_call("GET", "/groups?pageSize=100")["elements"]}


def account_of(world, name: str) -> dict:
    account_id = world.get("ExtensionAccount", name)["status"]["externalId"]
    return world.brand_call("GET", f"/brands/{{brandId}}/accounts/{account_id}?include=access")


def test_owner_access_through_a_group_counts_and_the_operator_keeps_its_own(world, examples):
    """An account made in the UI by another admin, owned through a group the operator's identity is in."""
    world.apply([d for d in examples if d["kind"] in ("Namespace", "Secret", "QualtricsBrand")]
                + [find(examples, "ExtensionInstall", "webservice")])
    world.wait_condition("ExtensionInstall", "webservice")
    users, groups = user_ids(world), group_ids(world)
    world.brand_call("POST", f"/groups/{groups['Support Leads']}/members", {"userId": users[ADMIN]})
    theirs = world.brand_call("POST", "/brands/{brandId}/extensions/webservice/accounts",
                              {"name": "Acme ticketing API", "credentials": {"password": "ui-made"}}, user=OPS)
    world.brand_call("PUT", f"/brands/{{brandId}}/accounts/{theirs['id']}/access",
                     {"groups": [{"id": groups["Support Leads"], "access": "Owner"}]}, user=OPS)
    converge(world, examples)
    account = account_of(world, "ticketing")
    assert account["id"] == theirs["id"] and account["creatorId"] == users[OPS]
    # The grant declares Support Leads as mere users, which would leave the operator no way to manage the
    # account: it keeps a direct Owner entry of its own, and says so.
    access = {(e["id"], e["access"]) for e in account["access"]["users"]}
    assert (users[ADMIN], "Owner") in access and (users[OPS], "Owner") in access
    assert account["access"]["groups"] == [{"id": groups["Support Leads"], "access": "User"}]
    status = world.get("AccountGrant", "ticketing")["status"]
    assert status["keptOwner"] == ADMIN
    assert "kept Owner access for the operator's identity" in world.condition("AccountGrant", "ticketing")["message"]


def test_owner_access_for_a_user_who_is_not_a_brand_administrator_is_refused_with_no_write(world, examples):
    grant = find(examples, "AccountGrant", "brandwatch-social")
    grant["spec"]["users"] = [{"user": "dana.berg@acme.example", "access": "Owner"}]
    world.apply(examples)
    condition = world.wait_condition("AccountGrant", "brandwatch-social", status="False",
                                     reason="OwnerNotBrandAdministrator")
    assert condition["message"].startswith("spec.users[0]:") and "dana.berg@acme.example" in condition["message"]
    world.wait_condition("AccountGrant", "ticketing")
    social = world.get("ExtensionAccount", "brandwatch-social")["status"]["externalId"]
    assert not [w for w in world.writes() if w["route"].endswith("/access") and social in w["path"]]


def test_credentials_changed_in_the_ui_are_sent_again_counted_as_drift_and_never_shown(world, examples):
    port = free_port()
    world.kill_operator()
    world.start_operator("--metrics-port", str(port))
    converge(world, examples)
    account_id = world.get("ExtensionAccount", "ticketing")["status"]["externalId"]
    stamp = world.get("ExtensionAccount", "ticketing")["status"]["appliedSecret"]["credentialsUpdatedAt"]
    mark = len(world.audit())
    world.brand_call("PATCH", f"/brands/{{brandId}}/accounts/{account_id}",
                     {"credentials": {"username": "someone", "password": "typed-in-the-ui-2718"}}, user=OPS)
    world.refresh_brand()
    world.wait_for(lambda: [w for w in world.writes(since=mark) if w["method"] == "PATCH"],
                   "the operator to send the Secret's credentials again")
    world.wait_for(lambda: world.get("ExtensionAccount", "ticketing")["status"]["appliedSecret"]
                   ["credentialsUpdatedAt"] != stamp, "the new credentialsUpdatedAt in status")
    [resend] = [w for w in world.writes(since=mark) if w["method"] == "PATCH"]
    assert set(resend["request"]["credentials"]) == {"username", "password"}
    world.wait_for(lambda: [e for e in world.events() if "changed in the brand outside qxo" in e.message],
                   "the Event naming the drift")
    drift = sum(value for (name, labels), value in scrape(port).items()
                if name == "qxo_drift_corrected_total" and dict(labels).get("kind") == "ExtensionAccount")
    assert drift >= 1
    # Nothing the UI typed nor what the Secret holds shows anywhere.
    declared = find(examples, "Secret", "ticketing-credentials")["stringData"]["password"]
    secret_values = ("typed-in-the-ui-2718", declared)
    texts = (str(world.audit()), world.log_text(), str([e.message for e in world.events()]),
             str(world.get("ExtensionAccount", "ticketing")))
    assert [(v, i) for v in secret_values for i, text in enumerate(texts) if v in text] == []
    # Once put right, the next observation finds nothing to send.
    settled = len(world.audit())
    world.refresh_brand()
    world.wait_for(lambda: len(world.audit()) > settled, "a fresh observation")
    world.wait_condition("ExtensionAccount", "ticketing")
    assert not [w for w in world.writes(since=settled) if w["method"] == "PATCH"]


def test_deleting_an_extension_account_sends_the_brands_delete(world, examples):
    converge(world, examples)
    account_id = world.get("ExtensionAccount", "brandwatch-social")["status"]["externalId"]
    world.delete("AccountGrant", "brandwatch-social")
    world.wait_gone("AccountGrant", "brandwatch-social")
    world.delete("ExtensionAccount", "brandwatch-social")
    world.wait_gone("ExtensionAccount", "brandwatch-social")
    deletes = [w for w in world.writes() if w["method"] == "DELETE" and account_id in w["path"]]
    assert len(deletes) == 1 and deletes[0]["status"] == 200
    accounts = world.brand_call("GET", "/brands/{brandId}/accounts?pageSize=100")["elements"]
    assert account_id not in {a["id"] for a in accounts}
