"""Request authentication: a static API token, or OAuth client-credentials tokens cached until expiry."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import aiohttp

from qxo.qualtrics import errors
from qxo.qualtrics.config import BrandConfig
from qxo.qualtrics.guard import redirect_error
from qxo.qualtrics.routes import TOKEN_PATH
from qxo.trust.remote_text import remote_code

# Refresh a little before expiry so a request never leaves with a token about to lapse.
_EXPIRY_MARGIN_SECONDS = 30.0


class Authenticator:
    def __init__(self, config: BrandConfig) -> None:
        self._config = config
        self._access_token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.token_requests = 0

    @property
    def uses_oauth(self) -> bool:
        return self._config.api_token is None

    async def headers(self, session: aiohttp.ClientSession, ssl: Any) -> dict[str, str]:
        if not self.uses_oauth:
            return {"X-API-TOKEN": self._config.api_token.get_secret_value()}
        async with self._lock:
            if self._access_token is None or time.monotonic() >= self._expires_at:
                await self._fetch(session, ssl)
            return {"Authorization": f"Bearer {self._access_token}"}

    def invalidate(self) -> bool:
        """Forget the cached OAuth token after a 401; True when a refresh may help."""
        if not self.uses_oauth:
            return False
        self._access_token = None
        return True

    async def _fetch(self, session: aiohttp.ClientSession, ssl: Any) -> None:
        config = self._config
        self.token_requests += 1
        pair = f"{config.oauth_client_id}:{config.oauth_client_secret.get_secret_value()}"
        headers = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
        data = {"grant_type": "client_credentials", "scope": " ".join(config.oauth_scopes)}
        timeout = aiohttp.ClientTimeout(total=config.timeout_seconds)
        try:
            async with session.post(config.root_url + TOKEN_PATH, data=data, headers=headers, ssl=ssl,
                                    timeout=timeout, allow_redirects=False) as response:
                status = response.status
                location = response.headers.get("Location")
                body = None if 300 <= status < 400 else await response.json(content_type=None)
        except errors.EndpointRefused:
            raise
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError):
            raise errors.TLSVerificationFailed("TLS verification of the OAuth token endpoint failed; "
                                               "check ca_bundle") from None
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            raise errors.Unavailable(f"OAuth token endpoint unreachable: {type(error).__name__}") from None
        if 300 <= status < 400:
            raise redirect_error(config, "POST", config.root_url + TOKEN_PATH, status, location)
        if status in (400, 401, 403):
            code = remote_code(body.get("error"), "") if isinstance(body, dict) else ""
            raise errors.AuthenticationFailed("OAuth client refused by the token endpoint",
                                              status=401, error_code=code or None)
        if status >= 300 or not isinstance(body, dict) or "access_token" not in body:
            raise errors.Unavailable(f"OAuth token endpoint answered HTTP {status}", status=status)
        self._access_token = body["access_token"]
        lifetime = float(body.get("expires_in", 3600))
        self._expires_at = time.monotonic() + max(0.0, lifetime - _EXPIRY_MARGIN_SECONDS)
