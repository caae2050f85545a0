"""The sandbox org's HTTP surface: OAuth token/introspect/userinfo, REST query/describe/limits,
the Metadata API readMetadata, and the `/_sandbox/` control routes, with Salesforce-shaped errors."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import secrets
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from aiohttp import web

from qxo.sandbox.mergepatch import merge_patch
from qxo.sandbox.salesforce import org as orgmodel
from qxo.sandbox.salesforce.soql import SoqlError, execute

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MD_NS = "http://soap.sforce.com/2006/04/metadata"


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
    """Everything the sandbox remembers: the org, the OAuth client, issued tokens, and call counters."""

    org: dict
    client_id: str = field(default_factory=lambda: "3MVG9" + secrets.token_hex(20))
    client_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    refresh_tokens: dict = field(default_factory=dict, repr=False)  # token -> {"revoked": bool}
    access_tokens: dict = field(default_factory=dict, repr=False)  # token -> expires_at
    counters: dict = field(default_factory=lambda: {"tokenRequests": 0, "introspections": 0, "apiRequests": 0})
    base_url: str = ""

    def mint_refresh_token(self) -> str:
        token = "5Aep861" + secrets.token_urlsafe(48)
        self.refresh_tokens[token] = {"revoked": False}
        return token

    def identity_url(self) -> str:
        return f"{self.base_url}/id/{self.org['organizationId']}/{self.org['user']['id']}"

    def valid_access(self, token: str | None) -> bool:
        return bool(token) and self.access_tokens.get(token, 0) > time.time()


STATE = web.AppKey("state", OrgState)


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else None


def build_app(state: OrgState) -> web.Application:
    app = web.Application()
    app[STATE] = state
    app.router.add_post("/services/oauth2/token", token)
    app.router.add_post("/services/oauth2/introspect", introspect)
    app.router.add_get("/services/oauth2/userinfo", userinfo)
    app.router.add_get("/services/data/v{version}/query", query)
    app.router.add_get("/services/data/v{version}/query/", query)
    app.router.add_get("/services/data/v{version}/sobjects/{name}/describe", describe)
    app.router.add_get("/services/data/v{version}/sobjects/{name}/describe/", describe)
    app.router.add_get("/services/data/v{version}/limits", limits)
    app.router.add_get("/services/data/v{version}/limits/", limits)
    app.router.add_post("/services/Soap/m/{version}", metadata)
    app.router.add_get("/_sandbox/org", get_org)
    app.router.add_patch("/_sandbox/org", patch_org)
    app.router.add_post("/_sandbox/tokens/revoke", revoke)
    app.router.add_post("/_sandbox/tokens/mint", mint)
    app.router.add_post("/_sandbox/tokens/expire", expire)
    app.router.add_get("/_sandbox/stats", stats)
    return app


async def token(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    state.counters["tokenRequests"] += 1
    knobs = state.org["knobs"]
    if knobs.get("tokenEndpointFailures", 0) > 0:
        knobs["tokenEndpointFailures"] -= 1
        return web.json_response({"error": "server_error", "error_description": "try again later"}, status=503)
    form = await request.post()
    if form.get("grant_type") != "refresh_token":
        return web.json_response(
            {"error": "unsupported_grant_type", "error_description": "grant type not supported"}, status=400
        )
    secret = form.get("client_secret")
    if form.get("client_id") != state.client_id or (secret is not None and secret != state.client_secret):
        return web.json_response(
            {"error": "invalid_client", "error_description": "invalid client credentials"}, status=400
        )
    entry = state.refresh_tokens.get(form.get("refresh_token", ""))
    if entry is None or entry["revoked"]:
        return web.json_response(
            {"error": "invalid_grant", "error_description": "expired access/refresh token"}, status=400
        )
    access = f"{state.org['organizationId']}!" + secrets.token_urlsafe(64)
    state.access_tokens[access] = time.time() + float(knobs.get("tokenLifetimeSeconds", 3600))
    issued_at = str(int(time.time() * 1000))
    identity = state.identity_url()
    digest = hmac.new(state.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    signature = base64.b64encode(digest).decode()
    if knobs.get("tamperSignature"):
        signature = base64.b64encode(hashlib.sha256(digest).digest()).decode()
    return web.json_response(
        {
            "access_token": access,
            "signature": signature,
            "scope": "api refresh_token",
            "instance_url": state.base_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
        }
    )


async def introspect(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    state.counters["introspections"] += 1
    form = await request.post()
    if form.get("client_id") != state.client_id or form.get("client_secret") != state.client_secret:
        return web.json_response(
            {"error": "invalid_client", "error_description": "invalid client credentials"}, status=401
        )
    access = form.get("token", "")
    if not state.valid_access(access):
        return web.json_response({"active": False})
    expires = int(state.access_tokens[access])
    return web.json_response(
        {
            "active": True,
            "scope": "api refresh_token",
            "client_id": state.client_id,
            "username": state.org["user"]["username"],
            "sub": state.identity_url(),
            "token_type": "access_token",
            "exp": expires,
            "iat": int(time.time()),
        }
    )


async def userinfo(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    if not state.valid_access(_bearer(request)):
        return web.Response(status=403, text="Bad_OAuth_Token")
    user = state.org["user"]
    return web.json_response(
        {
            "sub": state.identity_url(),
            "user_id": user["id"],
            "organization_id": state.org["organizationId"],
            "preferred_username": user["username"],
            "name": user.get("name", ""),
            "email": user["username"],
            "user_type": "STANDARD",
            "active": True,
        }
    )


def _guard_rest(request: web.Request) -> web.Response | None:
    state: OrgState = request.app[STATE]
    state.counters["apiRequests"] += 1
    if not state.valid_access(_bearer(request)):
        return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
    if state.org["knobs"].get("requestLimitExceeded"):
        return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    if not orgmodel.has_user_permission(state.org, "ApiEnabled"):
        return sf_error(403, "API_CURRENTLY_DISABLED", "API is disabled for this User")
    return None


async def query(request: web.Request) -> web.Response:
    refused = _guard_rest(request)
    if refused:
        return refused
    org = request.app[STATE].org
    try:
        records = execute(org, request.query.get("q", ""), orgmodel.has_user_permission(org, "ViewSetup"))
    except SoqlError as error:
        return sf_error(400, error.error_code, error.message)
    return web.json_response({"totalSize": len(records), "done": True, "records": records})


async def describe(request: web.Request) -> web.Response:
    refused = _guard_rest(request)
    if refused:
        return refused
    org, name = request.app[STATE].org, request.match_info["name"]
    sobject = next((s for s in org["sobjects"] if s.lower() == name.lower()), None)
    if sobject is None or not orgmodel.can_read_object(org, sobject):
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    infos = [
        {
            "active": bool(rt.get("active", True)),
            "available": bool(rt.get("available")),
            "defaultRecordTypeMapping": False,
            "developerName": key.split(".", 1)[1],
            "master": False,
            "name": rt.get("name", key),
            "recordTypeId": rt["id"],
            "urls": {},
        }
        for key, rt in org["recordTypes"].items()
        if key.split(".", 1)[0] == sobject
    ]
    infos.append(
        {
            "active": True,
            "available": True,
            "defaultRecordTypeMapping": not any(i["available"] for i in infos),
            "developerName": "Master",
            "master": True,
            "name": "Master",
            "recordTypeId": "012000000000000AAA",
            "urls": {},
        }
    )
    return web.json_response(
        {
            "name": sobject,
            "label": sobject,
            "queryable": True,
            "createable": True,
            "updateable": True,
            "fields": [],
            "recordTypeInfos": infos,
        }
    )


async def limits(request: web.Request) -> web.Response:
    refused = _guard_rest(request)
    if refused:
        return refused
    state: OrgState = request.app[STATE]
    daily = int(state.org.get("limits", {}).get("DailyApiRequests", 15000))
    used = state.counters["apiRequests"]
    return web.json_response({"DailyApiRequests": {"Max": daily, "Remaining": max(0, daily - used)}})


async def metadata(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    state.counters["apiRequests"] += 1
    try:
        root = ET.fromstring(await request.read())  # noqa: S314 - the sandbox parses its own test clients' XML
    except ET.ParseError:
        return soap_fault("INVALID_XML", "the request body is not XML")
    session_id = root.findtext(f".//{{{MD_NS}}}sessionId")
    if not state.valid_access(session_id):
        return soap_fault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
    org = state.org
    if org["knobs"].get("requestLimitExceeded"):
        return soap_fault("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    if not orgmodel.has_user_permission(org, "ApiEnabled"):
        return soap_fault("API_CURRENTLY_DISABLED", "API is disabled for this User")
    read = root.find(f".//{{{MD_NS}}}readMetadata")
    if read is None:
        return soap_fault("INVALID_OPERATION", "the sandbox serves readMetadata only")
    if not (orgmodel.has_user_permission(org, "ModifyMetadata") or orgmodel.has_user_permission(org, "ModifyAllData")):
        return soap_fault(
            "INSUFFICIENT_ACCESS",
            "use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions",
        )
    kind = read.findtext(f"{{{MD_NS}}}type")
    names = [n.text for n in read.findall(f"{{{MD_NS}}}fullNames")]
    if kind != "SecuritySettings":
        return soap_fault("INVALID_TYPE", f"This type of metadata is not available for this organization: {kind}")
    records = ""
    if "Security" in names:
        settings = org["sessionSettings"]
        records = (
            f'<records xsi:type="SecuritySettings"><fullName>Security</fullName><sessionSettings>'
            f"<lockSessionsToDomain>{str(bool(settings.get('lockSessionsToDomain'))).lower()}</lockSessionsToDomain>"
            f"<lockSessionsToIp>{str(bool(settings.get('lockSessionsToIp'))).lower()}</lockSessionsToIp>"
            f"<sessionTimeout>TwoHours</sessionTimeout></sessionSettings></records>"
        )
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns="{MD_NS}" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><readMetadataResponse><result>'
        f"{records}</result></readMetadataResponse></soapenv:Body></soapenv:Envelope>"
    )
    return web.Response(text=body, content_type="text/xml")


async def get_org(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].org)


async def patch_org(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    try:
        patch = await request.json()
    except ValueError:
        return web.json_response({"message": "body: must be a JSON merge patch"}, status=400)
    candidate = merge_patch(copy.deepcopy(state.org), patch)
    try:
        orgmodel.validate(candidate)
    except ValueError as error:
        return web.json_response({"message": str(error)}, status=422)
    state.org = candidate
    return web.json_response(state.org)


async def revoke(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    body = await request.json() if request.can_read_body else {}
    targets = [body["refresh_token"]] if body.get("refresh_token") else list(state.refresh_tokens)
    for target in targets:
        if target in state.refresh_tokens:
            state.refresh_tokens[target]["revoked"] = True
    return web.json_response({"revoked": len(targets)})


async def mint(request: web.Request) -> web.Response:
    return web.json_response({"refresh_token": request.app[STATE].mint_refresh_token()})


async def expire(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    count = len(state.access_tokens)
    state.access_tokens.clear()
    return web.json_response({"expired": count})


async def stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].counters)
