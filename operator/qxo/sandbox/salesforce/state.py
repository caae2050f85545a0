"""What the Salesforce sandbox remembers (its orgs, OAuth client and tokens), and the Salesforce-shaped
errors every route answers with."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from aiohttp import web

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"


def sf_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response([{"message": message, "errorCode": code}], status=status)


def soap_fault(code: str, message: str) -> web.Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_NS}" '
        f'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>sf:{code}</faultcode><faultstring>{escape(code)}: {escape(message)}</faultstring>"
        f"</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return web.Response(status=500, text=body, content_type="text/xml")


@dataclass
class OrgState:
    """Everything the sandbox remembers: its orgs, the OAuth client, issued tokens, and call counters.

    Like a Salesforce instance, the sandbox serves several orgs at one URL: a refresh token belongs to one
    org's user, and each access token minted from it reads that org. The connected app's consumer key and
    secret work for every org, as an installed connected app's do.
    """

    orgs: dict  # organizationId -> org; the first one is the primary org
    client_id: str = field(default_factory=lambda: "3MVG9" + secrets.token_hex(20))
    client_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    refresh_tokens: dict = field(default_factory=dict, repr=False)  # token -> {"revoked": bool, "org": id}
    access_tokens: dict = field(default_factory=dict, repr=False)  # token -> (expires_at, org id)
    counters: dict = field(default_factory=lambda: {"tokenRequests": 0, "introspections": 0, "apiRequests": 0})
    base_url: str = ""

    @property
    def primary_id(self) -> str:
        return next(iter(self.orgs))

    @property
    def org(self) -> dict:
        return self.orgs[self.primary_id]

    @org.setter
    def org(self, value: dict) -> None:
        self.orgs[self.primary_id] = value

    def mint_refresh_token(self, organization_id: str | None = None) -> str:
        token = "5Aep861" + secrets.token_urlsafe(48)
        self.refresh_tokens[token] = {"revoked": False, "org": organization_id or self.primary_id}
        return token

    def identity_url(self, org: dict) -> str:
        return f"{self.base_url}/id/{org['organizationId']}/{org['user']['id']}"

    def org_for(self, token: str | None) -> dict | None:
        """The org an unexpired access token reads, or None."""
        expires_at, org_id = self.access_tokens.get(token, (0, None)) if token else (0, None)
        return self.orgs.get(org_id) if expires_at > time.time() else None

    def valid_access(self, token: str | None) -> bool:
        return self.org_for(token) is not None


STATE = web.AppKey("state", OrgState)


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else None
