"""A connected brand: its client, who the operator is there, and the one shared observation of it.

Every resource of a brand reads this observation instead of the brand, so steady state costs
the pages of one observation per resync interval however many resources there are. Writes fold
their results into the observation (`BrandSession.fold`), so a resource reconciled right after
another sees its change, and into the observation being read while they land, whose pages may
predate them: a converge never re-sends what the operator itself just wrote.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from qxo.observability import metrics
from qxo.qualtrics import BrandClient
from qxo.qualtrics.models import Account, BrandSnapshot, Extension, Group, Identity, SalesforceConnection


def create_request_id(uid: str, previous_id: str | None) -> str:
    """The client request id of a create: stable across retries and restarts (a replay creates nothing
    new), new for a re-creation (`previous_id`: the remote object that went)."""
    return "qxo-" + hashlib.sha256(f"{uid}/{previous_id or 'first'}".encode()).hexdigest()[:32]


def seal_key(*credentials: str) -> bytes:
    """The key of a brand's seals, derived from its credentials (never the credentials themselves)."""
    return hmac.new("\0".join(credentials).encode(), b"qxo.dev/status-seal", hashlib.sha256).digest()


def seal(key: bytes, *parts: str) -> str:
    """What the operator concluded from the brand, sealed for a status: a restarted operator trusts a status
    field only when its seal matches, which nobody without the brand's credentials can make."""
    return hmac.new(key, "\0".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


Table = Literal["extensions", "accounts", "connections"]
Entry = tuple[Table, str]  # where one remote thing sits in an observation: its table and its id


@dataclass(frozen=True, slots=True)
class Slice:
    """What of one remote thing a Ready object's plan rests on: its table, its id, the fields it read.

    A new observation wakes such an object only when its slice changed there: one brand resync costs
    a converge per object whose remote thing changed, not one per object.
    """

    table: Table
    entry_id: str
    fields: tuple[str, ...]

    def of(self, state: BrandState) -> tuple | None:
        entry = state.entry((self.table, self.entry_id))
        return None if entry is None else tuple(getattr(entry, name) for name in self.fields)


@dataclass
class BrandState:
    """One observation of a brand, by id; change it only through `put` (accounts are indexed by name)."""

    extensions: dict[str, Extension] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    connections: dict[str, SalesforceConnection] = field(default_factory=dict)
    pages: int = 0
    _named: dict[tuple[str, str], str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, snapshot: BrandSnapshot) -> BrandState:
        return cls(
            extensions={extension.id: extension for extension in snapshot.extensions},
            accounts={account.id: account for account in snapshot.accounts},
            connections={connection.id: connection for connection in snapshot.salesforce_connections},
            pages=snapshot.requests,
        )

    def account_named(self, extension_id: str, name: str) -> Account | None:
        """The account with this natural key: a lookup, not a scan (every account converge asks)."""
        if self._named is None:
            self._named = {}
            for account in self.accounts.values():  # the first of a name wins, as a scan in id order would
                self._named.setdefault((account.extension_id, account.name), account.id)
        found = self._named.get((extension_id, name))
        account = self.accounts.get(found) if found is not None else None
        if account is None or account.extension_id != extension_id or account.name != name:
            return None
        return account

    def entry(self, where: Entry) -> Any:
        """The remote thing at `where` (an Extension, Account or SalesforceConnection), None when absent."""
        return getattr(self, where[0]).get(where[1])

    def put(self, table: Table, entry_id: str, value: Any | None) -> None:
        """Set (or, with None, remove) one remote thing."""
        entries: dict[str, Any] = getattr(self, table)
        old = entries.pop(entry_id, None) if value is None else entries.get(entry_id)
        if value is not None:
            entries[entry_id] = value
        if table != "accounts" or self._named is None:
            return
        if old is not None and (value is None or (old.extension_id, old.name) != (value.extension_id, value.name)):
            self._named = None  # a removal or a rename (rare): index afresh on the next lookup
        elif value is not None:
            self._named.setdefault((value.extension_id, value.name), entry_id)


class BrandSession:
    def __init__(self, client: BrandClient, identity: Identity, fingerprint: tuple, seal_key: bytes = b"", *,
                 identity_recorded: bool = False) -> None:
        self.client = client
        self.identity = identity
        self.fingerprint = fingerprint  # what the session was built from (config, Secret version)
        self.identity_recorded = identity_recorded  # from the brand's sealed status, not from whoami
        self._seal_key = seal_key
        self.state = BrandState()
        self.observed_at: float | None = None
        self.observed_time: datetime | None = None
        self.observations = 0
        self.refresh_seen: str | None = None  # the last qxo.dev/refresh value acted on
        self._stale = True
        self._lock = asyncio.Lock()
        self._landed: list[tuple[Table, str, Any]] | None = None  # writes landed while an observation is read
        self._groups: list[Group] | None = None
        self._groups_lock = asyncio.Lock()
        self._members: dict[str, frozenset[str]] = {}
        self._forget_metrics = metrics.observe_brand_client(identity.brand_id, lambda: client.stats)

    def seal(self, *parts: str) -> str | None:
        """`parts` sealed with this brand's credentials (`seal`); None for a session built without them."""
        return seal(self._seal_key, *parts) if self._seal_key else None

    def sealed(self, recorded: Any, *parts: str) -> bool:
        """Whether `recorded` (a status field) is `parts` sealed with this brand's credentials."""
        expected = self.seal(*parts)
        return bool(recorded) and expected is not None and hmac.compare_digest(str(recorded), expected)

    def invalidate(self) -> None:
        """Our view may be wrong (a 404 or 409 said so): the next reader observes afresh."""
        self._stale = True

    async def observe(self, *, max_age: float | None = None) -> BrandState:
        """The shared observation, refreshed when stale or older than `max_age` seconds."""
        async with self._lock:
            age = None if self.observed_at is None else time.monotonic() - self.observed_at
            if self._stale or age is None or (max_age is not None and age >= max_age):
                self._landed = []
                try:
                    snapshot = await self.client.observe(salesforce=True)
                    state = BrandState.of(snapshot)
                    for table, entry_id, value in self._landed:
                        state.put(table, entry_id, value)
                finally:
                    self._landed = None
                self.state = state
                self.observed_at = time.monotonic()
                self.observed_time = datetime.now(UTC)
                self.observations += 1
                self._stale = False
                self._groups = None
                self._members = {}
            return self.state

    def fold(self, table: Table, entry_id: str, value: Any | None) -> None:
        """A write's result (None: the thing is gone), into the observation and into the one being read
        now, which may have read that page before the write landed."""
        self.state.put(table, entry_id, value)
        if self._landed is not None:
            self._landed.append((table, entry_id, value))

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
