"""`qxo plan` against the brand sandbox over real HTTP: exact diffs, exit codes, and never a write."""

from __future__ import annotations

from gitopskit import ADMIN, EXAMPLE_SECRET_VALUES, OPS, SETUP_SECRET_VALUES, apply_examples, qxo

from qxo.qualtrics import Access

EMPTY_BRAND_DIFF = """\
+ ExtensionInstall qxo-demo/brandwatch (create)
    + install Brandwatch (brandwatch) by Brandwatch (terms accepted)
    + domain https://api.brandwatch.com (declared)
    + enable for user ana.lima@acme.example
    + enable for user chen.wei@acme.example
    + enable for group Marketing
+ ExtensionInstall qxo-demo/webservice (create)
    + install WebService (webservice) by Qualtrics
    + domain https://*.api.acme.example (declared)
    + domain https://hooks.acme.example:* (declared)
    + domain https://tickets.acme.example (declared)
    + enable for group CX Analysts
    + enable for group Support Leads
+ ExtensionAccount qxo-demo/brandwatch-social (create)
    + create account 'Acme social listening' of brandwatch
    + apply credentials from Secret brandwatch-credentials (keys apiKey)
+ ExtensionAccount qxo-demo/ticketing (create)
    + create account 'Acme ticketing API' of webservice
    + apply credentials from Secret ticketing-credentials
+ AccountGrant qxo-demo/brandwatch-social (create)
    + all users: User
    + user ops@acme.example: Owner
+ AccountGrant qxo-demo/ticketing (create)
    + group Support Leads: User
    + user ana.lima@acme.example: User
    + user ben.okafor@acme.example: User
    + user ops@acme.example: Owner

Plan: 6 to create, 0 to update, 0 unchanged.
"""


def plan(brand, manifests, *extra):
    return qxo("plan", "-f", str(manifests), "--brand-context", str(brand.context), *extra)


def body(run) -> str:
    """The diff without the header line, which names the sandbox's port."""
    head, _, rest = run.out.partition("\n\n")
    assert head.startswith("qxo plan: QualtricsBrand qxo-demo/acme (brand acme at http://127.0.0.1:")
    assert head.endswith(f", as {ADMIN})")
    return rest


def assert_no_secret(brand, *texts):
    for secret in (*brand.secrets(), *EXAMPLE_SECRET_VALUES[:3], *SETUP_SECRET_VALUES):
        for text in texts:
            assert secret not in text


def test_examples_against_an_empty_brand_show_every_change_and_exit_2(brand):
    run = plan(brand, brand.examples())
    assert run.code == 2, run.err
    assert body(run) == EMPTY_BRAND_DIFF
    assert brand.writes() == []
    assert_no_secret(brand, run.out, run.err)


def test_json_output_has_a_stable_schema(brand):
    run = plan(brand, brand.examples(), "--output", "json")
    assert run.code == 2
    doc = run.json()
    assert doc["apiVersion"] == "qxo.dev/v1alpha1" and doc["kind"] == "Plan"
    assert doc["changed"] is True and doc["exitCode"] == 2
    assert doc["summary"] == {"create": 6, "update": 0, "unchanged": 0, "notApplied": 0, "refused": 0, "blocked": 0}
    assert doc["brand"] == {"namespace": "qxo-demo", "name": "acme", "brandId": "acme",
                            "url": brand.sandbox.base_url, "identity": ADMIN}
    grant = next(r for r in doc["resources"] if r["kind"] == "AccountGrant" and r["name"] == "ticketing")
    assert grant["changes"][-1] == {"op": "add", "field": "access.users",
                                    "value": {"user": OPS, "access": "Owner"},
                                    "description": f"user {OPS}: Owner"}
    account = next(r for r in doc["resources"] if r["kind"] == "ExtensionAccount" and r["name"] == "ticketing")
    assert account["changes"][1]["value"] == {"secret": "ticketing-credentials", "keys": None}
    assert doc["notPlanned"] == []
    assert [set(r) for r in doc["resources"]] == [{"kind", "namespace", "name", "action", "applied", "note",
                                                    "error", "changes"}] * 6
    assert brand.writes() == []


def test_after_the_changes_are_made_nothing_would_change(brand):
    brand.call(apply_examples)
    made = len(brand.audit())
    run = plan(brand, brand.examples())
    assert run.code == 0, run.out + run.err
    assert body(run).endswith("No changes: the brand matches the manifests.\n")
    assert body(run).count(": no changes\n") == 6
    assert brand.writes(since=made) == []
    assert_no_secret(brand, run.out, run.err)


def test_an_out_of_band_domain_is_shown_for_removal(brand):
    brand.call(apply_examples)

    async def ui_edit(client):
        await client.put_domains("webservice", ["https://tickets.acme.example", "https://*.api.acme.example",
                                                "https://hooks.acme.example:*", "https://exfil.example.net"])
    brand.call(ui_edit, user=OPS)
    made = len(brand.audit())
    run = plan(brand, brand.examples())
    assert run.code == 2
    lines = [line for line in body(run).splitlines() if not line.endswith(": no changes")]
    assert lines == ["~ ExtensionInstall qxo-demo/webservice (update)",
                     "    - domain https://exfil.example.net",
                     "",
                     "Plan: 0 to create, 1 to update, 5 unchanged."]
    assert brand.writes(since=made) == []


def test_out_of_band_access_and_enablement_name_users_and_groups(brand):
    ids = brand.call(apply_examples)

    async def ui_edit(client):
        users = {u.username: u.id for u in await client.users()}
        groups = {g.name: g.id for g in await client.groups()}
        await client.put_access(ids["ticketing"], Access.of(
            users=[(users["ana.lima@acme.example"], "User"), (users["ops@acme.example"], "User")],
            groups=[(groups["Support Leads"], "User"), (groups["Marketing"], "User")]))
        enablement = await client.enablement("brandwatch")
        await client.put_enablement("brandwatch", enablement.model_copy(update={"groups": ()}))
    brand.call(ui_edit)
    run = plan(brand, brand.examples())
    assert run.code == 2
    lines = [line for line in body(run).splitlines() if not line.endswith(": no changes")]
    assert lines == ["~ ExtensionInstall qxo-demo/brandwatch (update)",
                     "    + enable for group Marketing",
                     "~ AccountGrant qxo-demo/ticketing (update)",
                     "    - group Marketing: User",
                     "    + user ben.okafor@acme.example: User",
                     "    ~ user ops@acme.example: User -> Owner",
                     "",
                     "Plan: 0 to create, 2 to update, 4 unchanged."]


def test_a_refused_spec_names_its_field_blocks_its_dependents_and_exits_1(brand):
    def unknown_user(document):
        if document["kind"] == "ExtensionInstall" and document["metadata"]["name"] == "brandwatch":
            document["spec"]["enablement"]["users"][1] = "nobody@acme.example"
    run = plan(brand, brand.examples(unknown_user))
    assert run.code == 1
    lines = body(run).splitlines()
    assert "! ExtensionInstall qxo-demo/brandwatch: refused (UnknownUser): spec.enablement.users[1]: the brand " \
           "has no user 'nobody@acme.example'" in lines
    assert "? ExtensionAccount qxo-demo/brandwatch-social: blocked: waits for ExtensionInstall brandwatch, " \
           "which cannot converge" in lines
    assert "? AccountGrant qxo-demo/brandwatch-social: blocked: waits for ExtensionAccount brandwatch-social, " \
           "which cannot converge" in lines
    assert lines[-1] == "Plan: 3 to create, 0 to update, 0 unchanged, 1 refused, 2 blocked."
    doc = plan(brand, brand.examples(unknown_user), "-o", "json").json()
    refused = next(r for r in doc["resources"] if r["action"] == "refused")
    assert refused["error"]["field"] == "spec.enablement.users[1]" and refused["error"]["reason"] == "UnknownUser"
    assert brand.writes() == []


def test_third_party_without_terms_is_refused_naming_the_field(brand):
    def no_terms(document):
        if document["kind"] == "ExtensionInstall":
            document["spec"].pop("termsAccepted", None)
    run = plan(brand, brand.examples(no_terms))
    assert run.code == 1
    assert "spec.termsAccepted" in run.err
    assert brand.audit() == []  # invalid manifests: the brand is never contacted


def test_a_grant_the_operator_may_not_change_is_refused(brand):
    async def ops_account(client):
        await client.install("webservice")
        return await client.create_account("webservice", "Acme ticketing API", {"password": "s3cr3t-ops"})
    brand.call(ops_account, user=OPS)
    run = plan(brand, brand.examples(), "-o", "json")
    assert run.code == 1
    grant = next(r for r in run.json()["resources"] if r["kind"] == "AccountGrant" and r["name"] == "ticketing")
    assert grant["action"] == "refused"
    assert grant["error"]["field"] == "spec.accountRef" and grant["error"]["reason"] == "NotOwnerOrCreator"
    assert "s3cr3t-ops" not in run.out


def test_paused_and_observe_only_drift_is_shown_but_not_counted(brand):
    brand.call(apply_examples)

    async def ui_edit(client):
        await client.put_domains("brandwatch", ["https://api.brandwatch.com", "https://other.example"])
    brand.call(ui_edit, user=OPS)

    def observe_only(document):
        if document["kind"] == "ExtensionInstall" and document["metadata"]["name"] == "brandwatch":
            document["spec"]["managementPolicy"] = "ObserveOnly"
    run = plan(brand, brand.examples(observe_only))
    assert run.code == 0, run.out
    assert "~ ExtensionInstall qxo-demo/brandwatch (update) [not applied: managementPolicy ObserveOnly: " \
           "reported as drift, never applied]\n    - domain https://other.example\n" in run.out
    assert run.out.endswith("No changes: the brand matches the manifests (1 drifted but not applied).\n")

    def paused(document):
        if document["kind"] == "ExtensionInstall" and document["metadata"]["name"] == "brandwatch":
            document["metadata"]["annotations"] = {"qxo.dev/paused": "true"}
    assert plan(brand, brand.examples(paused)).code == 0


def test_invalid_manifests_exit_1_with_the_problems_and_no_request(brand):
    def bad(document):
        if document["kind"] == "AccountGrant" and document["metadata"]["name"] == "brandwatch-social":
            document["spec"]["allUsers"]["access"] = "Owner"
    run = plan(brand, brand.examples(bad), "-o", "json")
    assert run.code == 1
    fields = [p["field"] for p in run.json()["problems"]]
    assert any(f.startswith("spec.allUsers") for f in fields), fields
    assert brand.audit() == []


def test_salesforce_links_are_listed_as_not_planned_and_change_nothing(brand):
    brand.call(apply_examples)
    run = plan(brand, brand.examples(salesforce=True))
    assert run.code == 0, run.out + run.err
    assert "  SalesforceLink qxo-demo/ana-lima-production: not planned (plan covers installs, accounts and grants)\n" \
        in run.out
    doc = plan(brand, brand.examples(salesforce=True), "-o", "json").json()
    assert doc["notPlanned"] == [{"kind": "SalesforceLink", "namespace": "qxo-demo", "name": n}
                                 for n in ("ana-lima-production", "ben-okafor-sandbox")]
    for secret in ("FAKE-connected-app-consumer-secret", "FAKE-ana-refresh-token-not-real"):
        assert secret not in run.out + run.err


def test_dependents_of_a_paused_install_are_blocked(brand):
    def paused(document):
        if document["kind"] == "ExtensionInstall" and document["metadata"]["name"] == "webservice":
            document["metadata"]["annotations"] = {"qxo.dev/paused": "true"}
    run = plan(brand, brand.examples(paused))
    assert run.code == 2  # brandwatch and its account and grant would still be created
    assert "+ ExtensionInstall qxo-demo/webservice (create) [not applied: qxo.dev/paused is set: the operator " \
           "would not apply this]\n" in run.out
    assert "? ExtensionAccount qxo-demo/ticketing: blocked: waits for ExtensionInstall webservice, which would " \
           "not be created: qxo.dev/paused is set: the operator would not apply this\n" in run.out
    assert "? AccountGrant qxo-demo/ticketing: blocked: waits for ExtensionAccount ticketing" in run.out


def test_a_new_install_lists_the_domains_it_will_reach_even_when_domains_is_left_out(brand):
    # The seed: "While installing a new third party extension, Brand Administrators will see a list of all the
    # domains that extension can connect with."
    def no_domains(document):
        if document["kind"] == "ExtensionInstall" and document["metadata"]["name"] == "brandwatch":
            document["spec"].pop("domains")
    run = plan(brand, brand.examples(no_domains), "-o", "json")
    install = next(r for r in run.json()["resources"] if r["name"] == "brandwatch" and r["kind"] == "ExtensionInstall")
    domains = [c for c in install["changes"] if c["field"] == "domains"]
    assert domains == [{"op": "add", "field": "domains", "value": "https://api.brandwatch.com",
                        "description": "domain https://api.brandwatch.com (the catalog's default)"}]


def test_owner_access_for_a_user_who_is_not_a_brand_administrator_is_refused_naming_the_entry(brand):
    def dana_owns(document):
        if document["kind"] == "AccountGrant" and document["metadata"]["name"] == "brandwatch-social":
            document["spec"]["users"] = [{"user": "dana.berg@acme.example", "access": "Owner"}]
    run = plan(brand, brand.examples(dana_owns), "-o", "json")
    assert run.code == 1
    grant = next(r for r in run.json()["resources"] if r["kind"] == "AccountGrant" and r["name"] == "brandwatch-social")
    assert grant["error"]["field"] == "spec.users[0]" and grant["error"]["reason"] == "OwnerNotBrandAdministrator"
    assert brand.writes() == []
