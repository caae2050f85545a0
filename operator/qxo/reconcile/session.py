"""A connected brand: its client, who the operator is there, and the one shared observation of it.

Every resource of a brand reads this observation instead of the brand, so steady state costs
the pages of one observation per resync interval however many resources there are. Writes
update the observation in place, so a resource reconciled right after another sees its change.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from qxo.observability import metrics
from qxo.qualtrics import BrandClient
from qxo.qualtrics.models import Account, BrandSnapshot, Extension, Group, Identity, SalesforceConnection


def create_request_id(uid: str, previous_id: str | None) -> str:
    """The client request id of a create: stable across retries and restarts (a replay creates nothing
    new), new for a re-creation (`previous_id`: the remote object that went)."""
    return "qxo-" + hashlib.sha256(f"{uid}/{previous_id or 'first'}".encode()).hexdigest()[:32]


@dataclass
class BrandState:
    extensions: dict[str, Extension] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    connections: dict[str, SalesforceConnection] = field(default_factory=dict)
    pages: int = 0

    @classmethod
    def of(cls, snapshot: BrandSnapshot) -> BrandState:
        return cls(
            extensions={extension.id: extension for extension in snapshot.extensions},
            accounts={account.id: account for account in snapshot.accounts},
            connections={connection.id: connection for connection in snapshot.salesforce_connections},
            pages=snapshot.requests,
        )

    def account_named(self, extension_id: str, name: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.extension_id == extension_id and a.name == name), None)


class BrandSession:
    def __init__(self, client: BrandClient, identity: Identity, fingerprint: tuple) -> None:
        self.client = client
        self.identity = identity
        self.fingerprint = fingerprint  # what the session was built from (config, Secret version)
        self.state = BrandState()
        self.observed_at: float | None = None
        self.observed_time: datetime | None = None
        self.observations = 0
        self.refresh_seen: str | None = None  # the last qxo.dev/refresh value acted on
        self._stale = True
        self._lock = asyncio.Lock()
        self._groups: list[Group] | None = None
        self._groups_lock = asyncio.Lock()
        self._members: dict[str, frozenset[str]] = {}
        self._forget_metrics = metrics.observe_brand_client(identity.brand_id, lambda: client.stats)

    def invalidate(self) -> None:
        """Our view may be wrong (a 404 or 409 said so): the next reader observes afresh."""
        self._stale = True

    async def observe(self, *, max_age: float | None = None) -> BrandState:
        """The shared observation, refreshed when stale or older than `max_age` seconds."""
        async with self._lock:
            age = None if self.observed_at is None else time.monotonic() - self.observed_at
            if self._stale or age is None or (max_age is not None and age >= max_age):
                snapshot = await self.client.observe(salesforce=True)
                self.state = BrandState.of(snapshot)
                self.observed_at = time.monotonic()
                self.observed_time = datetime.now(UTC)
                self.observations += 1
                self._stale = False
                self._groups = None
                self._members = {}
            return self.state

    async def observe_again(self, seen: int) -> BrandState:
        """A newer observation than the one numbered `seen`: ours, or one another reconcile just made.

        For a reconcile that did not find what it expected; many such reconciles at once share
        one refresh instead of each reading the brand.
        """
        if self.observations <= seen:
            async with self._lock:
                if self.observations <= seen:
                    self._stale = True
        return await self.observe()

    async def resolve_users(self, names: Iterable[str]) -> dict[str, str]:
        return await self.client.resolve_users(names)

    async def groups(self) -> list[Group]:
        """The brand's groups, read once per observation."""
        async with self._groups_lock:  # many reconciles ask at once after a resync: read the page once
            if self._groups is None:
                self._groups = await self.client.groups()
            return self._groups

    async def resolve_groups(self, names: Iterable[str]) -> dict[str, str]:
        ids = {group.name: group.id for group in await self.groups()}
        return {name: ids[name] for name in names if name in ids}

    async def group_members(self, group_id: str) -> frozenset[str]:
        """The user ids in a group, read once per observation (only for groups that decide who owns an account)."""
        if group_id not in self._members:
            self._members[group_id] = frozenset(await self.client.group_members(group_id))
        return self._members[group_id]

    async def brand_administrators(self, user_ids: Iterable[str]) -> set[str]:
        return await self.client.brand_administrators(user_ids)

    async def close(self) -> None:
        self._forget_metrics()
        await self.client.close()
