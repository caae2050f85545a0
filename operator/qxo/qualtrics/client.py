"""BrandClient: the operator's typed, async view of one Qualtrics brand.

Knows nothing of kopf or Kubernetes. Reads of whole collections follow `nextPage` (a full
URL) so observing a brand costs pages, not objects.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

from qxo.qualtrics import errors
from qxo.qualtrics.config import BrandConfig
from qxo.qualtrics.models import (
    BRAND_ADMIN_TYPE,
    Access,
    Account,
    BrandSnapshot,
    Enablement,
    Extension,
    Group,
    Identity,
    Installation,
    SalesforceConnection,
    User,
)
from qxo.qualtrics.transport import BrandStats, Transport

MAX_PAGE_SIZE = 500
ModelT = TypeVar("ModelT", bound=BaseModel)


class BrandClient:
    """Use as `async with BrandClient(config) as brand: ...`."""

    def __init__(self, config: BrandConfig, *, page_size: int = MAX_PAGE_SIZE) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size: must be from 1 to {MAX_PAGE_SIZE}")
        self.config = config
        self.page_size = page_size
        self._transport = Transport(config)
        self._user_ids: dict[str, str] | None = None
        self._user_types: dict[str, str | None] = {}
        self._users_loaded = 0  # how many times the user list was read: lets waiters reuse a fresh read
        self._users_lock = asyncio.Lock()

    async def __aenter__(self) -> BrandClient:
        await self._transport.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._transport.close()

    def share_rate_limit(self) -> None:
        """Call once the brand accepted the credentials (whoami): this client's rate now counts for the brand.

        Until then the client uses the brand's shared bucket without changing its rate, so an object with
        a bogus token cannot slow every other user of the brand.
        """
        self._transport.share_rate_limit()

    @property
    def stats(self) -> BrandStats:
        return self._transport.stats

    def __repr__(self) -> str:
        return f"BrandClient(root_url={self.config.root_url!r}, brand_id={self.config.brand_id!r})"

    # -- paging -------------------------------------------------------------------------------

    async def _pages(self, operation: str, query: dict[str, str] | None = None,
                     **path_params: str) -> AsyncIterator[list[dict[str, Any]]]:
        query = {"pageSize": str(self.page_size), **(query or {})}
        result = await self._transport.call(operation, query=query, **path_params)
        while True:
            yield list((result or {}).get("elements", []))
            next_page = (result or {}).get("nextPage")
            if not next_page:
                return
            if not next_page.startswith(self.config.root_url + "/"):
                # Never send the brand's token to a host the brand merely named.
                raise errors.EndpointNotAllowed(f"{operation}: nextPage points outside {self.config.root_url}")
            result = await self._transport.request("GET", next_page, operation)

    async def _all(self, operation: str, query: dict[str, str] | None = None, **path_params: str) -> list[dict]:
        elements: list[dict] = []
        async for page in self._pages(operation, query, **path_params):
            elements.extend(page)
        return elements

    async def _parsed(self, model: type[ModelT], operation: str, query: dict[str, str] | None = None,
                      **path_params: str) -> tuple[tuple[ModelT, ...], int]:
        """Every element of a listing as `model`, and the pages read: each page is parsed as it arrives, so a
        large brand's observation never holds every page's raw JSON beside its models."""
        parsed: list[ModelT] = []
        pages = 0
        async for page in self._pages(operation, query, **path_params):
            parsed.extend(model.model_validate(element) for element in page)
            pages += 1
        return tuple(parsed), pages

    # -- identity, users, groups (real v3) ------------------------------------------------------

    async def whoami(self) -> Identity:
        return Identity.model_validate(await self._transport.call("whoami"))

    async def users(self) -> list[User]:
        users = [User.model_validate(e) for e in await self._all("list_users")]
        self._user_ids = _index_users(users)
        self._user_types = {user.id: user.user_type for user in users}
        self._users_loaded += 1
        return users

    async def user(self, user_id: str) -> User:
        return User.model_validate(await self._transport.call("get_user", user_id=user_id))

    async def groups(self) -> list[Group]:
        return [Group.model_validate(e) for e in await self._all("list_groups")]

    async def resolve_users(self, names_or_emails: Iterable[str], *, refresh: bool = False) -> dict[str, str]:
        """Map usernames or emails to user ids (v3 has no server-side filter); unknown names are left out.

        The user list is read once and cached; an unknown name triggers one refresh.
        """
        wanted = list(names_or_emails)
        seen = self._users_loaded
        async with self._users_lock:  # many reconciles resolve at once: one of them reads the list
            if self._users_loaded == seen:  # nobody refreshed it while we waited
                if self._user_ids is None or refresh:
                    await self.users()
                elif any(n.lower() not in self._user_ids for n in wanted):
                    await self.users()  # someone new may have joined the brand since the cache was filled
        return {n: self._user_ids[n.lower()] for n in wanted if n.lower() in self._user_ids}

    async def group_members(self, group_id: str) -> list[str]:
        """Ids of the users in a group (v3 "List Users in Group"; its elements carry `id`, or `userId`)."""
        return [str(e.get("id") or e.get("userId")) for e in await self._all("list_group_members", group_id=group_id)]

    async def brand_administrators(self, user_ids: Iterable[str]) -> set[str]:
        """Which of these users are Brand Administrators (userType UT_BRANDADMIN), from the cached user list;
        when some are not, the list is read once more, in case one was made an administrator since."""
        wanted = set(user_ids)
        admins = {i for i in wanted if self._user_types.get(i) == BRAND_ADMIN_TYPE}
        if admins != wanted:
            await self.users()
            admins = {i for i in wanted if self._user_types.get(i) == BRAND_ADMIN_TYPE}
        return admins

    # -- observation ------------------------------------------------------------------------------

    async def observe(self, *, salesforce: bool = True) -> BrandSnapshot:
        """Every extension (install state, domains, enablement) and every account (with access), in pages."""
        extensions, pages = await self._parsed(Extension, "list_extensions", {"include": "domains,enablement"})
        accounts, account_pages = await self._parsed(Account, "list_accounts", {"include": "access"})
        connections, connection_pages = (), 0
        if salesforce:
            connections, connection_pages = await self._parsed(SalesforceConnection,
                                                               "list_brand_salesforce_connections")
        return BrandSnapshot(extensions=extensions, accounts=accounts, salesforce_connections=connections,
                             requests=pages + account_pages + connection_pages)

    async def extensions(self) -> list[Extension]:
        return [Extension.model_validate(e) for e in await self._all("list_extensions")]

    # -- installs, domains, enablement (modelled) --------------------------------------------------

    async def install(self, extension_id: str, *, accept_terms: bool = False,
                      preview_opt_in: bool = False) -> Installation:
        body = {"acceptTerms": accept_terms, "previewOptIn": preview_opt_in}
        return Installation.model_validate(
            await self._transport.call("install", json=body, extension_id=extension_id))

    async def uninstall(self, extension_id: str) -> None:
        await self._transport.call("uninstall", extension_id=extension_id)

    async def domains(self, extension_id: str) -> list[str]:
        result = await self._transport.call("get_domains", extension_id=extension_id)
        return list(result["domains"])

    async def put_domains(self, extension_id: str, domains: Iterable[str]) -> list[str]:
        result = await self._transport.call("put_domains", json={"domains": list(domains)},
                                            extension_id=extension_id)
        return list(result["domains"])

    async def enablement(self, extension_id: str) -> Enablement:
        return Enablement.model_validate(await self._transport.call("get_enablement", extension_id=extension_id))

    async def put_enablement(self, extension_id: str, enablement: Enablement) -> Enablement:
        body = enablement.model_dump(by_alias=True, mode="json")
        return Enablement.model_validate(
            await self._transport.call("put_enablement", json=body, extension_id=extension_id))

    # -- accounts and access (modelled) ------------------------------------------------------------

    async def accounts(self, extension_id: str) -> list[Account]:
        return [Account.model_validate(a) for a in await self._all(
            "list_extension_accounts", {"include": "access"}, extension_id=extension_id)]

    async def find_account(self, extension_id: str, name: str) -> Account | None:
        """The account with this natural key (extension, name), if any."""
        return next((a for a in await self.accounts(extension_id) if a.name == name), None)

    async def account(self, account_id: str) -> Account:
        return Account.model_validate(await self._transport.call(
            "get_account", query={"include": "access"}, account_id=account_id))

    async def create_account(self, extension_id: str, name: str, credentials: dict[str, str], *,
                             client_request_id: str | None = None) -> Account:
        """Create once: retries replay `client_request_id` (pass a stable one to survive restarts too)."""
        body = {"name": name, "credentials": dict(credentials)}
        result = await self._transport.call("create_account", json=body, extension_id=extension_id,
                                            client_request_id=client_request_id or str(uuid.uuid4()))
        return Account.model_validate(result)

    async def update_account(self, account_id: str, *, name: str | None = None,
                             credentials: dict[str, str] | None = None) -> Account:
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if credentials is not None:
            body["credentials"] = dict(credentials)
        return Account.model_validate(await self._transport.call("update_account", json=body, account_id=account_id))

    async def delete_account(self, account_id: str) -> None:
        await self._transport.call("delete_account", account_id=account_id)

    async def access(self, account_id: str) -> Access:
        return Access.model_validate(await self._transport.call("get_access", account_id=account_id))

    async def put_access(self, account_id: str, access: Access) -> Access:
        body = access.model_dump(by_alias=True, mode="json")
        return Access.model_validate(await self._transport.call("put_access", json=body, account_id=account_id))

    # -- Salesforce connections (modelled) ---------------------------------------------------------

    async def salesforce_connections(self, user_id: str) -> list[SalesforceConnection]:
        return [SalesforceConnection.model_validate(c) for c in await self._all(
            "list_salesforce_connections", user_id=user_id)]

    async def create_salesforce_connection(self, user_id: str, *, name: str, environment: str, instance_url: str,
                                           org_id: str, credentials: dict[str, str] | None = None,
                                           client_request_id: str | None = None) -> SalesforceConnection:
        body = {"name": name, "environment": environment, "instanceUrl": instance_url, "orgId": org_id,
                "credentials": dict(credentials or {})}
        result = await self._transport.call("create_salesforce_connection", json=body, user_id=user_id,
                                            client_request_id=client_request_id or str(uuid.uuid4()))
        return SalesforceConnection.model_validate(result)

    async def update_salesforce_connection(self, user_id: str, connection_id: str, *, name: str,
                                           environment: str, instance_url: str, org_id: str,
                                           token_status: str = "Valid",  # noqa: S107 (a status, not a secret)
                                           credentials: dict[str, str] | None = None) -> SalesforceConnection:
        body: dict[str, Any] = {"name": name, "environment": environment, "instanceUrl": instance_url,
                                "orgId": org_id, "tokenStatus": token_status}
        if credentials is not None:
            body["credentials"] = dict(credentials)
        result = await self._transport.call("put_salesforce_connection", json=body, user_id=user_id,
                                            connection_id=connection_id)
        return SalesforceConnection.model_validate(result)

    async def delete_salesforce_connection(self, user_id: str, connection_id: str) -> None:
        await self._transport.call("delete_salesforce_connection", user_id=user_id, connection_id=connection_id)


def _index_users(users: list[User]) -> dict[str, str]:
    index: dict[str, str] = {}
    for user in users:
        index[user.username.lower()] = user.id
        if user.email:
            index.setdefault(user.email.lower(), user.id)
    return index
