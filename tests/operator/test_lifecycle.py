"""The operator in the loop: kopf, the kube sandbox and the brand sandbox over real HTTP."""

from __future__ import annotations

import contextlib
import copy
import sqlite3
from pathlib import Path

import pytest
import yaml

from conftest import GROUP, NAMESPACE, VERSION

pytestmark = pytest.mark.slow

KINDS_IN_EXAMPLES = [("QualtricsBrand", "acme"), ("ExtensionInstall", "webservice"),
                     ("ExtensionInstall", "brandwatch"), ("ExtensionAccount", "ticketing"),
                     ("ExtensionAccount", "brandwatch-social"), ("AccountGrant", "ticketing"),
                     ("AccountGrant", "brandwatch-social")]


def converge(world, examples):
    world.apply(examples)
    for kind, name in KINDS_IN_EXAMPLES:
        world.wait_condition(kind, name)


def find(documents, kind, name):
    return next(d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name)


def test_examples_converge_with_exactly_the_writes_needed(world, examples):
    converge(world, examples)
    writes = world.writes()
    routes = sorted((w["method"], w["route"].rsplit("/", 1)[-1]) for w in writes)
    # 2 installs, 1 domain list, 2 enablements, 2 accounts, 2 access lists: nothing more.
    assert routes == sorted([("PUT", "installation")] * 2 + [("PUT", "domains")] + [("PUT", "enablement")] * 2
                            + [("POST", "accounts")] * 2 + [("PUT", "access")] * 2)
    install = world.get("ExtensionInstall", "brandwatch")["status"]
    assert install["installed"] is True and install["firstParty"] is False
    assert install["termsAcceptedBy"]
    account = world.get("ExtensionAccount", "ticketing")["status"]
    assert account["externalId"].startswith("EA_")
    # qxo keeps no kopf diff-base: no copy of the spec in an annotation, no patch to write it.
    annotations = world.get("ExtensionAccount", "ticketing")["metadata"].get("annotations") or {}
    assert not [name for name in annotations if name.startswith("qxo.dev/")], annotations
    assert account["appliedSecret"]["name"] == "ticketing-credentials"
    brand = world.get("QualtricsBrand", "acme")["status"]
    assert brand["identity"]["userName"] == "admin@acme.example"
    changed = {e.involved_object.name: e.message for e in world.events() if e.reason == "Changed"
               and e.involved_object.kind == "ExtensionInstall"}
    # One Event per converge that changed the brand, naming every change it made.
    assert changed["brandwatch"].count(";") >= 1, changed


def test_steady_state_makes_no_writes_and_reads_pages_not_resources(world, examples):
    converge(world, examples)
    mark = len(world.audit())
    for _ in range(2):
        before = len(world.audit())
        world.refresh_brand()
        world.wait_for(lambda b=before: len(world.audit()) > b, "a fresh observation")
        world.wait_condition("QualtricsBrand", "acme")
    assert world.writes(since=mark) == [], [(w["method"], w["path"]) for w in world.writes(since=mark)]
    pages_per_observation = {r["route"] for r in world.reads(since=mark)}
    assert pages_per_observation <= {"/API/v3/brands/{brandId}/extensions", "/API/v3/brands/{brandId}/accounts",
                                     "/API/v3/brands/{brandId}/salesforce-connections",
                                     "/API/v3/groups", "/API/v3/users"}
    # Two observations of a handful of list pages each (plus at most one more if a reconcile asked
    # for a fresher one): never a read per resource, and never a per-object route.
    assert len(world.reads(since=mark)) <= 3 * 5
    routes = [r["route"] for r in world.reads(since=mark)]
    # Every reconcile that resolves group names shares one read of the groups per observation.
    assert routes.count("/API/v3/groups") <= routes.count("/API/v3/brands/{brandId}/extensions")


def add_a_domain_in_the_ui_and_wait_for_its_removal(world, examples):
    """Drift: someone adds a domain to webservice in the brand; the operator must put the declared list back."""
    declared = sorted(find(examples, "ExtensionInstall", "webservice")["spec"]["domains"])
    world.brand_call("PUT", "/brands/{brandId}/extensions/webservice/domains",
                     {"domains": [*declared, "https://evil.example"]})
    world.refresh_brand()
    world.wait_for(lambda: sorted(world.brand_call("GET", "/brands/{brandId}/extensions/webservice/domains")
                                  ["domains"]) == declared, "the domain added in the UI to be removed")


def test_out_of_band_domain_is_reverted(world, examples):
    converge(world, examples)
    add_a_domain_in_the_ui_and_wait_for_its_removal(world, examples)
    world.wait_for(lambda: any("-https://evil.example" in e.message for e in world.events()),
                   "the Event saying what was put back")


def test_secret_rotation_reaches_the_account_without_leaking(world, examples):
    converge(world, examples)
    before = world.get("ExtensionAccount", "ticketing")["status"]["appliedSecret"]["resourceVersion"]
    world.core.patch_namespaced_secret("ticketing-credentials", "qxo-demo",
                                       {"stringData": {"password": "rotated-value-3141"}})
    if not world.watches_secrets:  # cluster-wide, the rotation lands at the next observation: ask for it now
        world.refresh_brand()
    world.wait_for(lambda: world.get("ExtensionAccount", "ticketing")["status"]["appliedSecret"]["resourceVersion"]
                   != before, "the new Secret version to be applied")
    patches = [w for w in world.writes() if w["method"] == "PATCH"]
    assert len(patches) == 1
    assert "rotated-value-3141" not in str(world.audit())
    assert "rotated-value-3141" not in world.log_text()
    assert "rotated-value-3141" not in str([e.message for e in world.events()])
    assert "rotated-value-3141" not in str(world.get("ExtensionAccount", "ticketing"))


def test_uninstall_on_delete_revokes_and_orphan_leaves_it(world, examples):
    brandwatch = find(examples, "ExtensionInstall", "brandwatch")
    brandwatch["spec"]["deletionPolicy"] = "Orphan"
    converge(world, examples)
    world.delete("ExtensionInstall", "webservice")
    world.wait_gone("ExtensionInstall", "webservice")
    assert [w for w in world.writes() if w["method"] == "DELETE" and w["route"].endswith("installation")]
    # The uninstall took the account and its access with it: their objects go without a brand write.
    writes = len(world.writes())
    world.delete("AccountGrant", "ticketing")
    world.delete("ExtensionAccount", "ticketing")
    world.wait_gone("AccountGrant", "ticketing")
    world.wait_gone("ExtensionAccount", "ticketing")
    assert world.writes()[writes:] == []  # a failure names the writes that should not have happened
    world.delete("ExtensionInstall", "brandwatch")
    world.wait_gone("ExtensionInstall", "brandwatch")
    extensions = world.brand_call("GET", "/brands/{brandId}/extensions?pageSize=100")["elements"]
    installed = {e["id"] for e in extensions if e["installed"]}
    assert "brandwatch" in installed and "webservice" not in installed


def test_observe_only_and_pause_make_no_brand_write(world, examples):
    observed = copy.deepcopy(examples)
    for document in observed:
        if document["kind"] in ("ExtensionInstall", "ExtensionAccount", "AccountGrant"):
            document["spec"]["managementPolicy"] = "ObserveOnly"
    find(observed, "ExtensionInstall", "brandwatch")["metadata"]["annotations"] = {"qxo.dev/paused": "true"}
    world.apply(observed)
    world.wait_condition("ExtensionInstall", "webservice", status="False", type_="Synced", reason="DriftDetected")
    world.wait_condition("ExtensionInstall", "brandwatch", status="False", type_="Synced", reason="Paused")
    assert world.writes() == []


def test_invalid_spec_is_refused_with_the_field_and_no_write(world, examples):
    brandwatch = find(examples, "ExtensionInstall", "brandwatch")
    brandwatch["spec"]["termsAccepted"] = False
    world.apply([d for d in examples if d["kind"] in ("Namespace", "Secret", "QualtricsBrand")] + [brandwatch])
    condition = world.wait_condition("ExtensionInstall", "brandwatch", status="False", reason="TermsNotAccepted")
    assert condition["message"].startswith("spec.termsAccepted:")
    world.wait_condition("ExtensionInstall", "brandwatch", status="True", type_="Stalled")
    assert world.writes() == []
    warnings = [e for e in world.events() if e.reason == "TermsNotAccepted"]
    assert len(warnings) == 1


def test_existing_account_is_adopted_not_duplicated(world, examples):
    world.apply([d for d in examples if d["kind"] in ("Namespace", "Secret", "QualtricsBrand")]
                + [find(examples, "ExtensionInstall", "webservice")])
    world.wait_condition("ExtensionInstall", "webservice")
    created = world.brand_call("POST", "/brands/{brandId}/extensions/webservice/accounts",
                               {"name": "Acme ticketing API", "credentials": {"password": "x"}},
                               user="admin@acme.example")
    converge(world, examples)
    assert world.get("ExtensionAccount", "ticketing")["status"]["externalId"] == created["id"]
    accounts = world.brand_call("GET", "/brands/{brandId}/extensions/webservice/accounts?pageSize=100",
                                user="admin@acme.example")["elements"]
    assert [a["id"] for a in accounts] == [created["id"]], "the existing account is adopted, not duplicated"



def test_grant_on_an_account_we_neither_own_nor_created_is_refused(world, examples):
    world.apply([d for d in examples if d["kind"] in ("Namespace", "Secret", "QualtricsBrand")]
                + [find(examples, "ExtensionInstall", "webservice")])
    world.wait_condition("ExtensionInstall", "webservice")
    theirs = world.brand_call("POST", "/brands/{brandId}/extensions/webservice/accounts",
                              {"name": "Acme ticketing API", "credentials": {"password": "x"}})
    account = find(examples, "ExtensionAccount", "ticketing")
    account["metadata"]["annotations"] = {"qxo.dev/external-id": theirs["id"]}
    account["spec"]["managementPolicy"] = "ObserveOnly"
    world.apply([account, find(examples, "Secret", "ticketing-credentials"),
                 find(examples, "AccountGrant", "ticketing")])
    condition = world.wait_condition("AccountGrant", "ticketing", status="False", reason="NotOwnerOrCreator")
    assert "neither an owner" in condition["message"] and "nor the creator" in condition["message"]


def test_restart_in_the_middle_of_creating_leaves_one_of_each(world, examples):
    world.kill_operator()
    world.apply(examples)
    for _ in range(3):
        world.start_operator()
        world.wait_for(lambda: any(w["method"] == "POST" for w in world.writes()) or
                       world.condition("ExtensionAccount", "ticketing"), "some progress", timeout=60)
        world.kill_operator()
    world.start_operator()
    for kind, name in KINDS_IN_EXAMPLES:
        world.wait_condition(kind, name, timeout=90)
    accounts = world.brand_call("GET", "/brands/{brandId}/accounts?pageSize=100")["elements"]
    names = sorted(a["name"] for a in accounts)
    assert names == sorted({a["name"] for a in accounts}) == ["Acme social listening", "Acme ticketing API"]


def test_an_empty_credential_is_refused_and_never_sent(world, examples):
    secret = find(examples, "Secret", "ticketing-credentials")
    secret["stringData"] = {key: "" for key in secret["stringData"]}
    world.apply(examples)
    condition = world.wait_condition("ExtensionAccount", "ticketing", status="False", reason="EmptyCredential")
    assert condition["message"].startswith("spec.credentials.secretRef:")
    assert not [w for w in world.writes() if "/webservice/accounts" in w["path"]]


def test_brand_says_why_it_cannot_connect(world, examples):
    token_secret = find(examples, "Secret", "acme-api-token")
    brand = find(examples, "QualtricsBrand", "acme")
    world.apply([find(examples, "Namespace", "qxo-demo"), brand])
    condition = world.wait_condition("QualtricsBrand", "acme", status="False", reason="WaitingForSecret")
    assert condition["message"].startswith("spec.credentials.apiTokenSecretRef:")
    world.apply({**token_secret, "stringData": {"token": "not-a-token-of-this-brand"}})
    world.wait_condition("QualtricsBrand", "acme", status="False", reason="AuthenticationFailed")
    world.apply(token_secret)
    world.wait_condition("QualtricsBrand", "acme")
    world.patch("QualtricsBrand", "acme", {"spec": {"brandId": "globex"}})
    condition = world.wait_condition("QualtricsBrand", "acme", status="False", reason="BrandMismatch")
    assert condition["message"].startswith("spec.brandId:")
    assert world.writes() == []


def test_a_second_grant_for_one_account_is_refused_naming_the_first(world, examples):
    converge(world, examples)
    grant = find(examples, "AccountGrant", "ticketing")
    rival = {**grant, "metadata": {**grant["metadata"], "name": "ticketing-too"},
             "spec": {**grant["spec"], "users": [{"user": "dana.berg@acme.example", "access": "User"}],
                      "groups": []}}
    writes = len(world.writes())
    world.apply(rival)
    condition = world.wait_condition("AccountGrant", "ticketing-too", status="False", reason="ConflictingGrant")
    assert condition["message"].startswith("spec.accountRef:") and "ticketing" in condition["message"]
    assert len(world.writes()) == writes


def test_a_second_install_of_one_extension_is_refused_then_takes_over_when_the_first_goes(world, examples):
    converge(world, examples)
    install = find(examples, "ExtensionInstall", "webservice")
    rival = {**install, "metadata": {**install["metadata"], "name": "webservice-too"},
             "spec": {**install["spec"], "domains": ["https://other.acme.example"]}}
    writes = len(world.writes())
    world.apply(rival)
    condition = world.wait_condition("ExtensionInstall", "webservice-too", status="False", reason="DuplicateInstall")
    assert condition["message"].startswith("spec.extensionId:") and "webservice" in condition["message"]
    assert len(world.writes()) == writes  # no tug of war over the extension's domains

    world.apply({**install, "spec": {**install["spec"], "deletionPolicy": "Orphan"}})
    world.delete("ExtensionInstall", "webservice")
    world.wait_condition("ExtensionInstall", "webservice-too", timeout=60)
    domains = [w for w in world.writes()[writes:] if w["route"].endswith("/domains")]
    assert [w["method"] for w in domains] == ["PUT"]  # the survivor's domains, once



def test_a_brand_deleted_first_waits_for_its_dependents_to_clean_up(world, examples):
    """The brand goes last, and while it waits its connection still serves its dependents' finalizers."""
    converge(world, examples)
    world.delete("QualtricsBrand", "acme")
    world.wait_condition("QualtricsBrand", "acme", status="False", reason="WaitingForDependents")
    for kind, name in KINDS_IN_EXAMPLES[1:]:
        world.delete(kind, name)
    for kind, name in KINDS_IN_EXAMPLES:
        world.wait_gone(kind, name)
    extensions = world.brand_call("GET", "/brands/{brandId}/extensions?pageSize=100")["elements"]
    assert "webservice" not in {e["id"] for e in extensions if e["installed"]}
    accounts = world.brand_call("GET", "/brands/{brandId}/accounts?pageSize=100")["elements"]
    assert "Acme ticketing API" not in {a["name"] for a in accounts}  # it went with webservice's uninstall


def test_everything_deleted_while_the_operator_was_down_still_goes(world, examples):
    """After a restart the brand's finalizer may run before the watches have listed its dependents: it must
    still wait for them (asking the API server), or their finalizers would wait forever for a connection."""
    converge(world, examples)
    world.kill_operator()
    for kind, name in KINDS_IN_EXAMPLES:
        world.delete(kind, name)
    assert all(world.exists(kind, name) for kind, name in KINDS_IN_EXAMPLES)  # held by qxo's finalizer
    world.start_operator()
    for kind, name in KINDS_IN_EXAMPLES:
        world.wait_gone(kind, name, timeout=90)
    extensions = world.brand_call("GET", "/brands/{brandId}/extensions?pageSize=100")["elements"]
    assert "webservice" not in {e["id"] for e in extensions if e["installed"]}
    accounts = world.brand_call("GET", "/brands/{brandId}/accounts?pageSize=100")["elements"]
    assert not {"Acme ticketing API", "Acme social listening"} & {a["name"] for a in accounts}


def semantic_fixtures() -> list[tuple[str, dict]]:
    """(declared field, document renamed to its file's name) for every `# layer: semantic` malformed fixture: what
    admission accepts and the operator must refuse."""
    found = []
    for path in sorted((Path(__file__).resolve().parents[1] / "fixtures" / "malformed").glob("*.yaml")):
        field, layer = (line.split(": ", 1)[1] for line in path.read_text().splitlines()[:2])
        if layer == "semantic":
            document = yaml.safe_load(path.read_text())
            document["metadata"]["name"] = path.stem
            found.append((field, document))
    return found


def test_every_semantic_fixture_is_refused_at_its_field_without_a_brand_write(world, examples):
    """What a spec alone tells (one user twice in another case) is refused before the object waits for anything;
    what the brand's catalog tells, once its brand is Ready. Never a write. One fixture at a time: several
    declare the same extension, and only one install may manage it."""
    fixtures = semantic_fixtures()
    assert len(fixtures) >= 9
    world.apply([d for d in examples if d["kind"] in ("Namespace", "Secret", "QualtricsBrand")])
    for field, document in fixtures:
        kind, name = document["kind"], document["metadata"]["name"]
        world.apply(document)
        condition = world.wait_condition(kind, name, status="False")
        assert condition["message"].startswith(f"{field}:"), (name, condition["message"])
        world.wait_condition(kind, name, status="True", type_="Stalled")
        world.delete(kind, name)
        world.wait_gone(kind, name)
    assert world.writes() == []


def test_stopping_the_operator_ends_every_converge_loop_in_time(world, examples):
    # Sleeping loops notice kopf's stop flag at the next sweep, within the time kopf waits for a timer to
    # exit: none is left orphaned (kopf warns "did not exit in time") and the process exits by itself.
    converge(world, examples)
    process = world.operator
    world.stop_operator()
    assert process.returncode == 0, f"the operator did not exit by itself: {process.returncode}"
    log = world.current_log()
    assert "did not exit in time" not in log and "orphaned" not in log, world.log_tail()


def test_a_restart_trusts_only_an_identity_sealed_with_the_brands_credentials(world, examples):
    converge(world, examples)
    identity = world.get("QualtricsBrand", "acme")["status"]["identity"]
    assert identity["seal"] and world.brand_token() not in str(identity)
    world.kill_operator()
    # Whoever may write the status but holds no credentials cannot make a restarted operator someone else.
    forged = {**identity, "userId": "UR_forged", "userName": "mallory@acme.example"}
    world.custom.patch_namespaced_custom_object_status(GROUP, VERSION, NAMESPACE, "qualtricsbrands", "acme",
                                                       {"status": {"identity": forged}})
    mark = len(world.audit())
    world.start_operator()
    world.wait_for(lambda: world.get("QualtricsBrand", "acme")["status"]["identity"]["userId"] == identity["userId"],
                   "the brand's identity, asked again")
    assert "/API/v3/whoami" in {r["route"] for r in world.reads(since=mark)}


def test_credentials_revoked_while_the_operator_was_down_are_reported_at_its_restart(world, examples):
    converge(world, examples)
    world.kill_operator()
    # The administrator generates a new API token in the brand (Account Settings): the old one stops working.
    with contextlib.closing(sqlite3.connect(world.brand.db_path)) as db, db:
        db.execute("UPDATE users SET token = ? WHERE username = ?", ("regenerated-token", "admin@acme.example"))
    world.start_operator()
    condition = world.wait_condition("QualtricsBrand", "acme", status="False", reason="AuthenticationFailed")
    assert condition["message"].startswith("spec.credentials:")
