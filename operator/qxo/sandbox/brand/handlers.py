"""The sandbox's API routes: each handler authorizes, parses, and runs one state transaction."""

from __future__ import annotations

from aiohttp import web

from qxo.sandbox.brand import state_accounts as accounts
from qxo.sandbox.brand import state_extensions as extensions
from qxo.sandbox.brand import state_people as people
from qxo.sandbox.brand.plumbing import authorize, includes, json_body, run, run_page, sandbox

routes = web.RouteTableDef()
V3 = "/API/v3"
BRAND = V3 + "/brands/{brandId}"
EXT = BRAND + "/extensions/{extensionId}"
CONN = V3 + "/users/{userId}/salesforce-connections"


def _m(request: web.Request, name: str) -> str:
    return request.match_info[name]


@routes.get(V3 + "/whoami")
async def whoami(request: web.Request) -> web.Response:
    caller = await authorize(request)
    return await run(request, people.whoami, caller, sandbox(request).brand_id)


@routes.get(V3 + "/users")
async def list_users(request: web.Request) -> web.Response:
    return await run_page(request, people.list_users, await authorize(request))


@routes.get(V3 + "/users/{userId}")
async def get_user(request: web.Request) -> web.Response:
    return await run(request, people.get_user, await authorize(request), _m(request, "userId"))


@routes.get(V3 + "/groups")
async def list_groups(request: web.Request) -> web.Response:
    return await run_page(request, people.list_groups, await authorize(request))


@routes.get(V3 + "/groups/{groupId}/members")
async def list_group_members(request: web.Request) -> web.Response:
    return await run_page(request, people.list_group_members, await authorize(request), _m(request, "groupId"))


@routes.post(V3 + "/groups/{groupId}/members")
async def add_group_member(request: web.Request) -> web.Response:
    return await run(request, people.add_group_member, await authorize(request), _m(request, "groupId"),
                     await json_body(request))


@routes.delete(V3 + "/groups/{groupId}/members/{userId}")
async def remove_group_member(request: web.Request) -> web.Response:
    return await run(request, people.remove_group_member, await authorize(request), _m(request, "groupId"),
                     _m(request, "userId"))


@routes.get(BRAND + "/extensions")
async def list_extensions(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run_page(request, extensions.list_extensions, caller,
                          includes(request, extensions.EXTENSION_INCLUDES))


@routes.put(EXT + "/installation")
async def install(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, extensions.install, caller, _m(request, "extensionId"), await json_body(request))


@routes.delete(EXT + "/installation")
async def uninstall(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, extensions.uninstall, caller, _m(request, "extensionId"))


@routes.get(EXT + "/domains")
async def get_domains(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, extensions.get_domains, caller, _m(request, "extensionId"))


@routes.put(EXT + "/domains")
async def put_domains(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, extensions.put_domains, caller, _m(request, "extensionId"), await json_body(request))


@routes.get(EXT + "/enablement")
async def get_enablement(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, extensions.get_enablement, caller, _m(request, "extensionId"))


@routes.put(EXT + "/enablement")
async def put_enablement(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, extensions.put_enablement, caller, _m(request, "extensionId"),
                     await json_body(request))


@routes.get(EXT + "/accounts")
async def list_extension_accounts(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run_page(request, accounts.list_accounts, caller, _m(request, "extensionId"),
                          includes(request, accounts.ACCOUNT_INCLUDES))


@routes.get(BRAND + "/accounts")
async def list_accounts(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run_page(request, accounts.list_accounts, caller, None, includes(request, accounts.ACCOUNT_INCLUDES))


@routes.post(EXT + "/accounts")
async def create_account(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, accounts.create_account, caller, _m(request, "extensionId"), await json_body(request))


@routes.get(EXT + "/accounts/{accountId}")
@routes.get(BRAND + "/accounts/{accountId}")
async def get_account(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, accounts.get_account, caller, _m(request, "accountId"),
                     request.match_info.get("extensionId"), includes(request, accounts.ACCOUNT_INCLUDES))


@routes.patch(EXT + "/accounts/{accountId}")
@routes.patch(BRAND + "/accounts/{accountId}")
async def update_account(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, accounts.update_account, caller, _m(request, "accountId"),
                     request.match_info.get("extensionId"), await json_body(request))


@routes.delete(EXT + "/accounts/{accountId}")
@routes.delete(BRAND + "/accounts/{accountId}")
async def delete_account(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, accounts.delete_account, caller, _m(request, "accountId"),
                     request.match_info.get("extensionId"))


@routes.get(BRAND + "/accounts/{accountId}/access")
async def get_access(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, accounts.get_access, caller, _m(request, "accountId"))


@routes.put(BRAND + "/accounts/{accountId}/access")
async def put_access(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run(request, accounts.put_access, caller, _m(request, "accountId"), await json_body(request))


@routes.get(BRAND + "/salesforce-connections")
async def list_brand_connections(request: web.Request) -> web.Response:
    caller = await authorize(request, admin=True, brand=True)
    return await run_page(request, people.list_connections, caller, None)


@routes.get(CONN)
async def list_connections(request: web.Request) -> web.Response:
    caller = await authorize(request)
    return await run_page(request, people.list_connections, caller, _m(request, "userId"))


@routes.post(CONN)
async def create_connection(request: web.Request) -> web.Response:
    caller = await authorize(request)
    return await run(request, people.create_connection, caller, _m(request, "userId"), await json_body(request),
                     sandbox(request).max_salesforce_connections)


@routes.get(CONN + "/{connectionId}")
async def get_connection(request: web.Request) -> web.Response:
    caller = await authorize(request)
    return await run(request, people.get_connection, caller, _m(request, "userId"), _m(request, "connectionId"))


@routes.put(CONN + "/{connectionId}")
async def put_connection(request: web.Request) -> web.Response:
    caller = await authorize(request)
    return await run(request, people.put_connection, caller, _m(request, "userId"), _m(request, "connectionId"),
                     await json_body(request))


@routes.delete(CONN + "/{connectionId}")
async def delete_connection(request: web.Request) -> web.Response:
    caller = await authorize(request)
    return await run(request, people.delete_connection, caller, _m(request, "userId"), _m(request, "connectionId"))
