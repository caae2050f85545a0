"""Keeps one access token fresh: refreshed ahead of its expiry, and once more when Salesforce says 401.

Concurrent callers share one refresh (a lock, and a check that the stale token is still current).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import requests

from qxo.salesforce.oauth import AccessToken, refresh_access_token
from qxo.salesforce.settings import ConnectionSettings

Refresher = Callable[..., Awaitable[AccessToken]]


class TokenHolder:
    """The current access token of one connection; `refresh_count` says how often it went to the token endpoint."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        min_margin_seconds: float = 60.0,
        refresher: Refresher = refresh_access_token,
    ):
        self._settings = settings
        self._session = session
        self._clock = clock
        self._min_margin = min_margin_seconds
        self._refresher = refresher
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    def __repr__(self) -> str:
        expires = f"{self._token.expires_at:.0f}" if self._token else "none"
        return f"TokenHolder(client_id={self._settings.client_id!r}, expires_at={expires})"

    @property
    def token(self) -> AccessToken | None:
        return self._token

    def is_due(self, token: AccessToken | None = None) -> bool:
        """True when the token is missing or inside its refresh margin (10% of its life, at least a minute)."""
        token = token or self._token
        if token is None:
            return True
        margin = max(self._min_margin, 0.1 * (token.expires_at - token.issued_at))
        return self._clock() >= token.expires_at - margin

    async def current(self) -> AccessToken:
        """A token that is not about to expire, refreshing first when it is."""
        token = self._token
        if token is not None and not self.is_due(token):
            return token
        return await self.refresh(stale=token)

    async def refresh(self, stale: AccessToken | None = None) -> AccessToken:
        """Refresh unless another caller already replaced `stale` while this one waited for the lock."""
        async with self._lock:
            if self._token is not None and self._token is not stale and not self.is_due(self._token):
                return self._token
            self.refresh_count += 1
            self._token = await self._refresher(self._settings, session=self._session, clock=self._clock)
            return self._token
