"""The sandbox's HTTP surface: OAuth token/introspect/userinfo and the `/_sandbox/` control routes, with the
REST and Metadata API routes of `rest` mounted beside them; errors are Salesforce-shaped."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import secrets
import time

from aiohttp import web

from qxo.sandbox.mergepatch import merge_patch
from qxo.sandbox.salesforce import org as orgmodel
from qxo.sandbox.salesforce.state import STATE, OrgState, bearer


def build_app(state: OrgState) -> web.Application:
    from qxo.sandbox.salesforce import rest  # the REST and Metadata API routes (loaded with the app only)

    app = web.Application()
    app[STATE] = state
    app.router.add_post("/services/oauth2/token", token)
    app.router.add_post("/services/oauth2/introspect", introspect)
    app.router.add_get("/services/oauth2/userinfo", userinfo)
    for suffix in ("", "/"):
        app.router.add_get("/services/data/v{version}/query" + suffix, rest.query)
        app.router.add_get("/services/data/v{version}/sobjects" + suffix, rest.describe_global)
        app.router.add_get("/services/data/v{version}/sobjects/{name}" + suffix, rest.sobject_basic_info)
        app.router.add_get("/services/data/v{version}/sobjects/{name}/describe" + suffix, rest.describe)
        app.router.add_get("/services/data/v{version}/limits" + suffix, rest.limits)
    app.router.add_post("/services/Soap/m/{version}", rest.metadata)
    app.router.add_get("/_sandbox/org", get_org)
    app.router.add_patch("/_sandbox/org", patch_org)
    app.router.add_get("/_sandbox/orgs", list_orgs)
    app.router.add_get("/_sandbox/orgs/{organizationId}", get_org)
    app.router.add_patch("/_sandbox/orgs/{organizationId}", patch_org)
    app.router.add_post("/_sandbox/tokens/revoke", revoke)
    app.router.add_post("/_sandbox/tokens/mint", mint)
    app.router.add_post("/_sandbox/tokens/expire", expire)
    app.router.add_get("/_sandbox/stats", stats)
    return app


async def token(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    state.counters["tokenRequests"] += 1
    form = await request.post()
    entry = state.refresh_tokens.get(form.get("refresh_token", ""))
    org = state.orgs.get(entry["org"]) if entry else None
    knobs = (org or state.org)["knobs"]
    if knobs.get("tokenEndpointFailures", 0) > 0:
        knobs["tokenEndpointFailures"] -= 1
        return web.json_response({"error": "server_error", "error_description": "try again later"}, status=503)
    if form.get("grant_type") != "refresh_token":
        return web.json_response(
            {"error": "unsupported_grant_type", "error_description": "grant type not supported"}, status=400
        )
    secret = form.get("client_secret")
    if form.get("client_id") != state.client_id or (secret is not None and secret != state.client_secret):
        return web.json_response(
            {"error": "invalid_client", "error_description": "invalid client credentials"}, status=400
        )
    if org is None or entry["revoked"]:
        return web.json_response(
            {"error": "invalid_grant", "error_description": "expired access/refresh token"}, status=400
        )
    access = f"{org['organizationId']}!" + secrets.token_urlsafe(64)
    state.access_tokens[access] = (time.time() + float(knobs.get("tokenLifetimeSeconds", 3600)), org["organizationId"])
    issued_at = str(int(time.time() * 1000))
    identity = state.identity_url(org)
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
    org = state.org_for(access)
    if org is None:
        return web.json_response({"active": False})
    return web.json_response(
        {
            "active": True,
            "scope": "api refresh_token",
            "client_id": state.client_id,
            "username": org["user"]["username"],
            "sub": state.identity_url(org),
            "token_type": "access_token",
            "exp": int(state.access_tokens[access][0]),
            "iat": int(time.time()),
        }
    )


async def userinfo(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    org = state.org_for(bearer(request))
    if org is None:
        return web.Response(status=403, text="Bad_OAuth_Token")
    user = org["user"]
    return web.json_response(
        {
            "sub": state.identity_url(org),
            "user_id": user["id"],
            "organization_id": org["organizationId"],
            "preferred_username": user["username"],
            "name": user.get("name", ""),
            "email": user["username"],
            "user_type": "STANDARD",
            "active": True,
        }
    )


def _target(request: web.Request) -> str | None:
    state: OrgState = request.app[STATE]
    wanted = request.match_info.get("organizationId", state.primary_id)
    return wanted if wanted in state.orgs else None


async def get_org(request: web.Request) -> web.Response:
    target = _target(request)
    if target is None:
        return web.json_response({"message": "organizationId: no such org in this sandbox"}, status=404)
    return web.json_response(request.app[STATE].orgs[target])


async def list_orgs(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    return web.json_response([{"organizationId": i, "isSandbox": o["isSandbox"], "primary": i == state.primary_id}
                              for i, o in state.orgs.items()])


async def patch_org(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    target = _target(request)
    if target is None:
        return web.json_response({"message": "organizationId: no such org in this sandbox"}, status=404)
    try:
        patch = await request.json()
    except ValueError:
        return web.json_response({"message": "body: must be a JSON merge patch"}, status=400)
    candidate = merge_patch(copy.deepcopy(state.orgs[target]), patch)
    try:
        orgmodel.validate(candidate)
    except ValueError as error:
        return web.json_response({"message": str(error)}, status=422)
    if candidate["organizationId"] != target:
        return web.json_response({"message": "organizationId: an org keeps its id"}, status=422)
    state.orgs[target] = candidate
    return web.json_response(candidate)


async def revoke(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    body = await request.json() if request.can_read_body else {}
    targets = [body["refresh_token"]] if body.get("refresh_token") else list(state.refresh_tokens)
    for target in targets:
        if target in state.refresh_tokens:
            state.refresh_tokens[target]["revoked"] = True
    return web.json_response({"revoked": len(targets)})


async def mint(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    body = await request.json() if request.can_read_body else {}
    org_id = (body or {}).get("organizationId") or state.primary_id
    if org_id not in state.orgs:
        return web.json_response({"message": "organizationId: no such org in this sandbox"}, status=404)
    return web.json_response({"refresh_token": state.mint_refresh_token(org_id)})


async def expire(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    count = len(state.access_tokens)
    state.access_tokens.clear()
    return web.json_response({"expired": count})


async def stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].counters)
