"""Every rule of the seed pages, enforced by the sandbox and surfaced by the client as typed errors."""

from __future__ import annotations

import asyncio
import json

import pytest
from brandkit import ADMIN, ANA, BEN, CHEN, OPS, audit, fast_config, raw

from qxo.qualtrics import Access, BrandClient, Enablement, errors


async def test_third_party_install_needs_terms_acceptance_recorded_with_who_and_when(brand, ops, ids):
    with pytest.raises(errors.Invalid) as refused:
        await brand.install("brandwatch")
    assert (refused.value.error_code, refused.value.field) == ("TERMS_NOT_ACCEPTED", "acceptTerms")
    assert "acceptTerms" in str(refused.value) and refused.value.request_id
    installed = await ops.install("brandwatch", accept_terms=True)
    assert installed.terms_acceptance.accepted_by == ids[OPS]
    assert installed.terms_acceptance.accepted_at == installed.installed_at
    assert installed.terms_acceptance.terms_url.endswith("/brandwatch/terms")


async def test_first_party_install_needs_no_terms(brand):
    assert (await brand.install("servicenow")).terms_acceptance is None


async def test_preview_install_needs_opt_in(brand):
    with pytest.raises(errors.Invalid) as refused:
        await brand.install("facebook-reviews", accept_terms=True)
    assert (refused.value.error_code, refused.value.field) == ("PREVIEW_OPT_IN_REQUIRED", "previewOptIn")
    assert (await brand.install("facebook-reviews", accept_terms=True, preview_opt_in=True)).preview_opt_in


async def test_unknown_extension_is_not_found(brand):
    with pytest.raises(errors.NotFound) as missing:
        await brand.install("no-such-extension")
    assert missing.value.error_code == "EXTENSION_NOT_FOUND"


async def test_domains_only_when_the_extension_allows_edits(brand):
    await brand.install("servicenow")
    with pytest.raises(errors.Invalid) as refused:
        await brand.put_domains("servicenow", ["https://acme.service-now.com"])
    assert (refused.value.error_code, refused.value.field) == ("DOMAINS_NOT_EDITABLE", "domains")
    # Declaring exactly the current list is not an edit, so it is accepted.
    assert await brand.put_domains("servicenow", ["https://*.service-now.com"]) == ["https://*.service-now.com"]


@pytest.mark.parametrize("domain", [
    "http://api.acme.example", "ftp://api.acme.example", "api.acme.example", "https://api.acme.example/path",
    "https://a*.acme.example", "https://api.*.acme.example", "https://*.example", "https://acme.example:8*",
    "https://acme.example:70000", "https://user@acme.example", "https://acme.example?x=1", "https://-bad.example",
    "https://*", "", 42, "https://*.co.uk", "https://*.amazonaws.com", "https://*.GitHub.io:443",
])
async def test_domains_are_https_origins_with_whole_label_or_port_wildcards(brand, domain):
    await brand.install("webservice")
    with pytest.raises(errors.Invalid) as refused:
        await brand.put_domains("webservice", ["https://ok.acme.example", domain])
    assert (refused.value.error_code, refused.value.field) == ("INVALID_DOMAIN", "domains[1]")


async def test_wildcards_for_subdomains_and_ports_are_allowed(brand):
    await brand.install("webservice")
    allowed = ["https://*.acme.example", "https://acme.example:*", "https://*.acme.example:8443", "https://a.b.example",
               "https://*.acme.co.uk", "https://*.bucket.s3.amazonaws.com"]
    assert await brand.put_domains("webservice", allowed) == allowed


async def test_duplicate_domains_are_refused(brand):
    await brand.install("webservice")
    with pytest.raises(errors.Invalid) as refused:
        await brand.put_domains("webservice", ["https://a.example.com", "https://A.example.com"])
    assert refused.value.error_code == "DUPLICATE_DOMAIN"


async def test_an_installed_extension_with_no_domains_reaches_nothing(brand, sandbox):
    await brand.install("webservice")
    assert await brand.domains("webservice") == []
    status, body, _ = await raw(sandbox, "GET", "/API/v3/brands/acme/extensions/webservice/domains")
    assert status == 200 and body["result"]["reachesNothing"] is True


async def test_writes_to_an_extension_that_is_not_installed_conflict(brand, ids):
    for call in (brand.put_domains("jira", []), brand.put_enablement("jira", Enablement(all_users=True)),
                 brand.create_account("jira", "a", {"k": "v"})):
        with pytest.raises(errors.Conflict) as refused:
            await call
        assert refused.value.error_code == "EXTENSION_NOT_INSTALLED"


async def test_uninstall_revokes_all_access(brand, ids):
    await brand.install("reviewtrackers", accept_terms=True)
    await brand.put_enablement("reviewtrackers", Enablement(all_users=True, groups=(ids["Marketing"],)))
    account = await brand.create_account("reviewtrackers", "main", {"apiKey": "k"})
    await brand.put_access(account.id, Access.of(all_users=True))
    await brand.uninstall("reviewtrackers")
    snap = await brand.observe()
    assert "reviewtrackers" not in snap.installed and snap.accounts == ()
    with pytest.raises(errors.NotFound):
        await brand.access(account.id)
    # A reinstall starts from nothing: no enablement, no accounts.
    await brand.install("reviewtrackers", accept_terms=True)
    assert await brand.enablement("reviewtrackers") == Enablement()
    assert await brand.accounts("reviewtrackers") == []


async def test_enablement_names_unknown_users_by_field(brand, ids):
    await brand.install("slack")
    with pytest.raises(errors.Invalid) as refused:
        await brand.put_enablement("slack", Enablement(users=(ids[ANA], "UR_000000000000000")))
    assert (refused.value.error_code, refused.value.field) == ("UNKNOWN_ID", "users[1]")


async def test_owner_access_is_never_granted_to_all_users(brand, sandbox):
    await brand.install("slack")
    account = await brand.create_account("slack", "bot", {"token": "x"})
    status, body, _ = await raw(sandbox, "PUT", f"/API/v3/brands/acme/accounts/{account.id}/access",
                                json={"allUsers": True, "allUsersAccess": "Owner"})
    assert status == 400
    assert body["meta"]["error"]["errorCode"] == "OWNER_ACCESS_FOR_ALL_USERS"
    assert body["meta"]["error"]["field"] == "allUsersAccess"
    assert (await brand.access(account.id)).all_users is False


async def test_only_owners_or_the_creator_change_access_or_delete(brand, ops, ids):
    await brand.install("slack")
    account = await brand.create_account("slack", "bot", {"token": "x"})
    for call in (ops.put_access(account.id, Access.of(all_users=True)), ops.delete_account(account.id),
                 ops.update_account(account.id, credentials={"token": "y"})):
        with pytest.raises(errors.Forbidden) as refused:
            await call
        assert refused.value.error_code == "NOT_ACCOUNT_OWNER"
    await brand.put_access(account.id, Access.of(users=[(ids[OPS], "Owner")]))
    assert (await ops.put_access(account.id, Access.of(users=[(ids[OPS], "Owner"), (ids[BEN], "User")]))).users
    await ops.delete_account(account.id)


async def test_owner_access_through_a_group_counts(brand, ops, ids):
    await brand.install("slack")
    account = await brand.create_account("slack", "bot", {"token": "x"})
    await brand.put_access(account.id, Access.of(groups=[(ids["Support Leads"], "Owner")]))  # ops is a member
    await ops.put_access(account.id, Access.of(groups=[(ids["Support Leads"], "Owner")], all_users=True))
    assert (await brand.access(account.id)).all_users


async def test_owner_access_is_for_brand_administrators(brand, ids):
    # The seed: "You can also give other Brand Administrators ownership access over an account".
    await brand.install("slack")
    account = await brand.create_account("slack", "bot", {"token": "x"})
    with pytest.raises(errors.Invalid) as refused:
        await brand.put_access(account.id, Access.of(users=[(ids[OPS], "Owner"), (ids[ANA], "Owner")]))
    assert (refused.value.error_code, refused.value.field) == ("OWNER_NOT_BRAND_ADMIN", "users[1].access")
    assert (await brand.access(account.id)).users == ()
    await brand.put_access(account.id, Access.of(users=[(ids[OPS], "Owner"), (ids[ANA], "User")]))


async def test_group_members_are_listed_added_and_removed_as_v3_does(brand, sandbox, ids):
    assert set(await brand.group_members(ids["Support Leads"])) == {ids[CHEN], ids[OPS]}
    status, _, _ = await raw(sandbox, "POST", f"/API/v3/groups/{ids['Support Leads']}/members",
                             json={"userId": ids[ADMIN]})
    assert status == 200 and ids[ADMIN] in await brand.group_members(ids["Support Leads"])
    status, _, _ = await raw(sandbox, "DELETE", f"/API/v3/groups/{ids['Support Leads']}/members/{ids[ADMIN]}")
    assert status == 200 and ids[ADMIN] not in await brand.group_members(ids["Support Leads"])
    with pytest.raises(errors.NotFound):
        await brand.group_members("GR_000000000000000")
    assert await brand.brand_administrators([ids[ADMIN], ids[OPS], ids[ANA]]) == {ids[ADMIN], ids[OPS]}


async def test_account_names_are_unique_per_extension(brand):
    await brand.install("slack")
    await brand.install("jira")
    first = await brand.create_account("slack", "shared", {"token": "x"})
    with pytest.raises(errors.Conflict) as refused:
        await brand.create_account("slack", "shared", {"token": "y"})
    assert (refused.value.error_code, refused.value.field) == ("ACCOUNT_NAME_TAKEN", "name")
    assert first.id in str(refused.value)  # the existing id, so a caller can adopt it
    assert (await brand.create_account("jira", "shared", {"token": "z"})).name == "shared"
    other = await brand.create_account("slack", "other", {"token": "w"})
    with pytest.raises(errors.Conflict):
        await brand.update_account(other.id, name="shared")


async def test_credentials_are_write_only(brand, sandbox):
    await brand.install("slack")
    account = await brand.create_account("slack", "bot", {"token": "very-secret-value"})
    for path in (f"/API/v3/brands/acme/accounts/{account.id}?include=access", "/API/v3/brands/acme/accounts",
                 "/API/v3/brands/acme/extensions/slack/accounts"):
        status, body, _ = await raw(sandbox, "GET", path)
        text = json.dumps(body)
        assert status == 200 and "very-secret-value" not in text and '"credentials":' not in text


async def test_no_limit_on_salesforce_connections_per_user_unless_the_knob_sets_one(brand, ids, sandbox):
    # No Qualtrics page states a per-user limit: by default a sixth connection is fine.
    for i in range(6):
        await brand.create_salesforce_connection(ids[BEN], name=f"org {i}", environment="Sandbox",
                                                 instance_url=f"https://b{i}.my.salesforce.com",
                                                 org_id=f"00D00000000001{i}")
    sandbox.max_salesforce_connections = 5
    for i in range(5):
        await brand.create_salesforce_connection(ids[CHEN], name=f"org {i}", environment="Sandbox",
                                                 instance_url=f"https://o{i}.my.salesforce.com",
                                                 org_id=f"00D00000000000{i}")
    with pytest.raises(errors.Conflict) as refused:
        await brand.create_salesforce_connection(ids[CHEN], name="sixth", environment="Production",
                                                 instance_url="https://o6.my.salesforce.com", org_id="00D000000000006")
    assert refused.value.error_code == "SALESFORCE_CONNECTION_LIMIT"
    with pytest.raises(errors.Conflict) as duplicate:
        await brand.create_salesforce_connection(ids[ANA], name="x", environment="Production",
                                                 instance_url="https://o.my.salesforce.com", org_id="00D000000000001")
        await brand.create_salesforce_connection(ids[ANA], name="y", environment="Production",
                                                 instance_url="https://o.my.salesforce.com", org_id="00D000000000001")
    assert duplicate.value.error_code == "SALESFORCE_CONNECTION_EXISTS"


async def test_salesforce_connection_fields_are_checked(brand, ids):
    with pytest.raises(errors.Invalid) as refused:
        await brand.create_salesforce_connection(ids[ANA], name="x", environment="Staging",
                                                 instance_url="https://o.my.salesforce.com", org_id="00D000000000001")
    assert refused.value.field == "environment"
    with pytest.raises(errors.Invalid) as refused:
        await brand.create_salesforce_connection(ids[ANA], name="x", environment="Production",
                                                 instance_url="http://o.my.salesforce.com", org_id="00D000000000001")
    assert refused.value.field == "instanceUrl"


async def test_plain_users_and_other_brands_are_refused(sandbox):
    async with BrandClient(fast_config(sandbox, ANA)) as ana:
        with pytest.raises(errors.Forbidden):
            await ana.install("slack")
        with pytest.raises(errors.Forbidden):
            await ana.users()
    async with BrandClient(fast_config(sandbox, ADMIN, brand_id="globex")) as wrong:
        with pytest.raises(errors.NotFound) as missing:
            await wrong.observe()
        assert missing.value.error_code == "BRAND_NOT_FOUND"


async def test_an_unknown_token_fails_authentication(sandbox):
    async with BrandClient(fast_config(sandbox, api_token="not-a-token")) as stranger:
        with pytest.raises(errors.AuthenticationFailed) as refused:
            await stranger.whoami()
    assert refused.value.status == 401 and "not-a-token" not in str(refused.value)


async def test_the_audit_log_counts_reads_writes_and_real_changes(brand, sandbox):
    start = (await audit(sandbox))["last"]
    await brand.install("webservice")
    await brand.put_domains("webservice", ["https://a.example.com"])
    await brand.put_domains("webservice", ["https://a.example.com"])  # unchanged: a write, not a change
    await brand.domains("webservice")
    log = await audit(sandbox, since=start)
    assert [(e["method"], e["status"]) for e in log["entries"]] == [("PUT", 201), ("PUT", 200), ("PUT", 200),
                                                                    ("GET", 200)]
    assert log["entries"][1]["before"] == [] and log["entries"][1]["after"] == ["https://a.example.com"]
    assert log["entries"][1]["who"] == ADMIN and log["entries"][1]["route"].endswith("/{extensionId}/domains")
    assert log["entries"][2]["before"] is None  # nothing changed, nothing to show
    assert log["totals"] == {"reads": 1, "writes": 3, "changes": 2, "tokens": 0}


async def test_concurrent_creates_of_one_name_leave_one_account(brand):
    await brand.install("slack")
    results = await asyncio.gather(*(brand.create_account("slack", "race", {"token": str(i)}) for i in range(8)),
                                   return_exceptions=True)
    made = [r for r in results if not isinstance(r, Exception)]
    assert len(made) == 1 and all(isinstance(r, errors.Conflict) for r in results if r not in made)
    assert [a.id for a in await brand.accounts("slack")] == [made[0].id]


async def test_out_of_band_edits_show_in_the_next_observation_and_the_audit_log(brand, ops, sandbox):
    await brand.install("webservice")
    start = (await audit(sandbox))["last"]
    await ops.put_domains("webservice", ["https://drift.example.com"])
    snap = await brand.observe()
    assert snap.installed["webservice"].domains == ("https://drift.example.com",)
    entries = (await audit(sandbox, since=start))["entries"]
    assert (entries[0]["who"], entries[0]["method"], entries[0]["after"]) == (OPS, "PUT", ["https://drift.example.com"])
