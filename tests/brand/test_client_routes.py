"""The client against the sandbox over real HTTP, one test per area of the contract."""

from __future__ import annotations

import gc
import weakref

import pytest
from aiohttp import web
from brandkit import ADMIN, ANA, BEN, CHEN, DANA, LOOPBACK, OPS, fast_config

from qxo.qualtrics import Access, BrandClient, BrandConfig, Enablement, errors


async def test_whoami_reports_the_brand_admin_identity(brand, sandbox):
    me = await brand.whoami()
    assert (me.brand_id, me.user_name, me.account_type) == ("acme", ADMIN, "UT_BRANDADMIN")
    assert me.user_id.startswith("UR_") and len(me.user_id) == 18


async def test_users_and_groups_are_the_seeded_ones(brand):
    users = await brand.users()
    assert [u.username for u in users] == [ADMIN, OPS, ANA, BEN, CHEN, DANA]
    assert all(u.id.startswith("UR_") and len(u.id) == 18 for u in users)
    groups = await brand.groups()
    assert [g.name for g in groups] == ["CX Analysts", "Support Leads", "Marketing"]
    assert all(g.id.startswith("GR_") and len(g.id) == 18 for g in groups)
    assert (await brand.user(users[2].id)).username == ANA


async def test_users_follow_next_page_urls(sandbox):
    async with BrandClient(fast_config(sandbox), page_size=4) as small_pages:
        users = await small_pages.users()
        assert len(users) == 6
        assert small_pages.stats.reads == 2  # 4 + 2


async def test_resolve_users_by_username_or_email_is_cached(brand):
    resolved = await brand.resolve_users([ANA, "BEN.OKAFOR@acme.example", "nobody@acme.example"])
    assert set(resolved) == {ANA, "BEN.OKAFOR@acme.example"}
    reads = brand.stats.reads
    again = await brand.resolve_users([ANA])
    assert again == {ANA: resolved[ANA]} and brand.stats.reads == reads


async def test_catalog_lists_the_32_seed_extensions_with_their_terms(brand):
    extensions = await brand.extensions()
    assert len(extensions) == 32
    by_id = {e.id: e for e in extensions}
    assert by_id["servicenow"].first_party and not by_id["servicenow"].installed
    assert not by_id["reviewtrackers"].first_party
    assert by_id["reviewtrackers"].terms_url.endswith("/reviewtrackers/terms")
    assert by_id["facebook-reviews"].preview and by_id["webservice"].domains_editable


async def test_install_domains_enablement_and_uninstall(brand, ids):
    installation = await brand.install("jira")
    assert installation.terms_acceptance is None and installation.installed_by == ids[ADMIN]
    assert await brand.domains("jira") == ["https://*.atlassian.net"]
    assert await brand.put_domains("jira", ["https://jira.acme.example", "https://*.atlassian.net:*"]) == [
        "https://jira.acme.example", "https://*.atlassian.net:*"]
    wanted = Enablement(users=(ids[ANA],), groups=(ids["CX Analysts"],))
    assert await brand.put_enablement("jira", wanted) == wanted
    assert await brand.enablement("jira") == wanted
    await brand.uninstall("jira")
    with pytest.raises(errors.NotFound):
        await brand.domains("jira")


async def test_install_is_idempotent(brand):
    first = await brand.install("slack")
    again = await brand.install("slack")
    assert first == again


async def test_account_lifecycle_and_access(brand, ids):
    await brand.install("servicenow")
    account = await brand.create_account("servicenow", "prod", {"username": "svc", "password": "pw-1"})
    assert account.id.startswith("EA_") and account.owners == (ids[ADMIN],)
    assert account.credential_keys == ("password", "username")
    renamed = await brand.update_account(account.id, name="production", credentials={"token": "t-2"})
    assert renamed.name == "production" and renamed.credential_keys == ("token",)
    assert renamed.credentials_updated_at > account.credentials_updated_at
    access = Access.of(all_users=True, users=[(ids[OPS], "Owner")], groups=[(ids["Marketing"], "User")])
    assert await brand.put_access(account.id, access) == access
    assert await brand.access(account.id) == access
    fetched = await brand.account(account.id)
    assert fetched.access == access and fetched.owners == (ids[ADMIN], ids[OPS])
    assert [a.id for a in await brand.accounts("servicenow")] == [account.id]
    assert (await brand.find_account("servicenow", "production")).id == account.id
    assert await brand.find_account("servicenow", "prod") is None
    await brand.delete_account(account.id)
    with pytest.raises(errors.NotFound):
        await brand.account(account.id)


async def test_salesforce_connections_lifecycle(brand, ids):
    user = ids[DANA]
    made = await brand.create_salesforce_connection(
        user, name="prod org", environment="Production", instance_url="https://acme.my.salesforce.com",
        org_id="00D5g000004abcdEAA", credentials={"refreshToken": "rt-1"})
    assert made.id.startswith("SC_") and made.token_status == "Valid"
    assert [c.id for c in await brand.salesforce_connections(user)] == [made.id]
    updated = await brand.update_salesforce_connection(
        user, made.id, name="prod org", environment="Production", instance_url="https://acme.my.salesforce.com",
        org_id="00D5g000004abcdEAA", token_status="Expired")
    assert updated.token_status == "Expired"
    await brand.delete_salesforce_connection(user, made.id)
    assert await brand.salesforce_connections(user) == []


async def test_observe_embeds_installs_accounts_access_and_connections(brand, ids):
    await brand.install("reviewtrackers", accept_terms=True)
    await brand.put_enablement("reviewtrackers", Enablement(all_users=True))
    account = await brand.create_account("reviewtrackers", "main", {"apiKey": "k"})
    await brand.put_access(account.id, Access.of(users=[(ids[CHEN], "User")]))
    await brand.create_salesforce_connection(ids[ANA], name="s", environment="Sandbox",
                                             instance_url="https://acme--dev.sandbox.my.salesforce.com",
                                             org_id="00D000000000001")
    snap = await brand.observe()
    assert snap.requests == 3  # one page each: extensions, accounts, connections
    installed = snap.installed["reviewtrackers"]
    assert installed.domains == ("https://api.reviewtrackers.com",) and installed.enablement.all_users
    assert installed.installation.terms_acceptance.accepted_by == ids[ADMIN]
    assert snap.accounts_of("reviewtrackers")[0].access.users[0].id == ids[CHEN]
    assert snap.salesforce_connections[0].user_id == ids[ANA]


async def test_a_plain_user_manages_only_their_own_connections(sandbox, ids):
    async with BrandClient(fast_config(sandbox, BEN)) as ben:
        mine = await ben.create_salesforce_connection(ids[BEN], name="b", environment="Production",
                                                      instance_url="https://b.my.salesforce.com",
                                                      org_id="00D000000000002")
        assert (await ben.salesforce_connections(ids[BEN]))[0].id == mine.id
        with pytest.raises(errors.Forbidden):
            await ben.salesforce_connections(ids[ANA])
        with pytest.raises(errors.Forbidden) as refused:
            await ben.observe()
        assert refused.value.error_code == "NOT_BRAND_ADMIN"


async def test_a_next_page_on_another_host_is_never_followed(aiohttp_free_server):
    base_url, hits = aiohttp_free_server
    config = BrandConfig(base_url=base_url, brand_id="acme", api_token="tok", requests_per_minute=600_000,
                         allowlist=LOOPBACK)
    async with BrandClient(config) as brand:
        with pytest.raises(errors.EndpointNotAllowed) as refused:  # a refusal naming the field, not a crash
            await brand.groups()
    assert "nextPage" in str(refused.value) and hits == ["/API/v3/groups"]


@pytest.fixture
async def aiohttp_free_server():
    """A brand that answers with a nextPage on a foreign host."""
    hits: list[str] = []

    async def groups(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.json_response({"result": {"elements": [], "nextPage": "http://elsewhere.example/API/v3/groups"},
                                  "meta": {"httpStatus": "200 - OK", "requestId": "r"}})

    app = web.Application()
    app.router.add_get("/API/v3/groups", groups)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}", hits
    await runner.cleanup()


async def test_an_observation_parses_each_page_as_it_arrives(sandbox):
    """A page's raw JSON is gone by the time the next page is read: a large brand's observation never holds
    every page's raw elements beside their models."""

    class Element(dict):  # a dict a weak reference can follow
        pass

    async with BrandClient(fast_config(sandbox), page_size=4) as small_pages:
        transport = small_pages._transport
        read, seen = transport.request, []
        alive_at_each_page: list[int] = []

        async def request(*args, **kwargs):
            gc.collect()
            alive_at_each_page.append(sum(ref() is not None for ref in seen))
            page = await read(*args, **kwargs)
            page["elements"] = [Element(element) for element in page.get("elements", [])]
            seen.extend(weakref.ref(element) for element in page["elements"])
            return page

        transport.request = request
        snapshot = await small_pages.observe()
    assert len(snapshot.extensions) == 32 and len(alive_at_each_page) >= 7  # 32 extensions in pages of 4
    assert all(alive <= 4 for alive in alive_at_each_page), alive_at_each_page
