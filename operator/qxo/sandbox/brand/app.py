"""The sandbox's aiohttp application: the brand's misbehaviour, the audit log, OAuth and /_sandbox/."""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import uuid
from typing import Any

from aiohttp import web

from qxo.sandbox.brand import audit
from qxo.sandbox.brand.common import now
from qxo.sandbox.brand.faults import FaultSpecError
from qxo.sandbox.brand.handlers import routes as api_routes
from qxo.sandbox.brand.plumbing import BODY, CALLER, OUTCOME, REQUEST_ID, SANDBOX, error_response, sandbox
from qxo.sandbox.brand.rules import ApiError
from qxo.sandbox.brand.state_people import expire_tokens, issue_token
from qxo.sandbox.brand.store import dumps

log = logging.getLogger("qxo.sandbox.brand")
_HTTP_ERRORS = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "BODY_TOO_LARGE"}


def _drop(request: web.Request) -> web.Response:
    # Closing the transport under the response makes the client see a dropped connection.
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)


async def _record(request: web.Request, status: int, fault: str | None = None) -> None:
    outcome = request.get(OUTCOME)
    caller = request.get(CALLER)
    route = request.match_info.route.resource
    entry: dict[str, Any] = {
        "at": now(), "who": caller.username if caller else None,
        "method": request.method, "route": route.canonical if route is not None else request.path,
        "path": request.path, "status": status, "requestId": request[REQUEST_ID],
    }
    if fault:
        entry["fault"] = fault
    if request.method != "GET":
        entry["clientRequestId"] = request.headers.get("X-Client-Request-Id")
        entry["request"] = audit.redact(request.get(BODY))
        if outcome is not None:
            entry.update(before=outcome.before, after=outcome.after, replayed=outcome.replayed)
    changed = bool(outcome and outcome.write and not outcome.replayed and status < 300)
    kind = "auth" if request.path == "/oauth2/token" else "read" if request.method == "GET" else "write"
    sb = sandbox(request)
    await sb.store.run(audit.append, entry, kind, changed, sb.audit_entries)


@web.middleware
async def brand_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path.startswith("/_sandbox/"):
        return await handler(request)
    sb = sandbox(request)
    request[REQUEST_ID] = str(uuid.uuid4())
    if sb.latency_ms:
        await asyncio.sleep(sb.latency_ms / 1000)
    fault = sb.faults.draw()
    if fault == "drop":
        await _record(request, 0, fault)
        return _drop(request)
    if fault in ("500", "503", "429"):
        response = error_response(ApiError(int(fault), "INJECTED_FAULT", f"sandbox fault injected: {fault}"),
                                  request[REQUEST_ID])
        await _record(request, response.status, fault)
        return response
    wait = sb.rate_limit.admit() if sb.rate_limit else None
    if wait is not None:
        response = error_response(ApiError(429, "RATE_LIMIT_EXCEEDED", "the brand's request rate limit is exceeded"),
                                  request[REQUEST_ID], headers={"Retry-After": str(math.ceil(wait))})
        await _record(request, 429)
        return response
    response = await _handle(request, handler)
    await _record(request, response.status if fault != "timeout" else 0, fault)
    if fault == "timeout":
        await asyncio.sleep(sb.faults.hang_seconds)
        return _drop(request)
    return response


async def _handle(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error, request[REQUEST_ID])
    except web.HTTPException as error:
        code = _HTTP_ERRORS.get(error.status, "HTTP_ERROR")
        return error_response(ApiError(error.status, code, error.reason), request[REQUEST_ID])
    except Exception:
        log.exception("sandbox brand: unexpected error on %s %s", request.method, request.path)
        return error_response(ApiError(500, "INTERNAL_ERROR", "unexpected sandbox error"), request[REQUEST_ID])


async def oauth_token(request: web.Request) -> web.Response:
    """Client-credentials grant, as /oauth2/token: HTTP Basic client auth or form fields."""
    form = await request.post()
    client_id, secret = form.get("client_id"), form.get("client_secret")
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            client_id = secret = None
    if form.get("grant_type") != "client_credentials":
        return web.json_response({"error": "unsupported_grant_type"}, status=400)
    sb = sandbox(request)
    issued = await sb.store.run(issue_token, str(client_id or ""), str(secret or ""), sb.oauth_token_ttl)
    if issued is None:
        return web.json_response({"error": "invalid_client"}, status=401)
    scope = str(form.get("scope") or "manage:all")
    return web.json_response({"access_token": issued[0], "token_type": "Bearer",
                              "expires_in": int(sb.oauth_token_ttl), "scope": scope})


async def get_audit(request: web.Request) -> web.Response:
    try:
        after = int(request.query.get("since", "0"))
        limit = min(int(request.query.get("limit", "10000")), 100000)
    except ValueError:
        return web.json_response({"error": "since and limit must be integers"}, status=400)
    return web.json_response(await sandbox(request).store.run(audit.since, after, limit), dumps=dumps)


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(sandbox(request).faults.describe())


async def put_faults(request: web.Request) -> web.Response:
    try:
        spec = await request.json()
        if not isinstance(spec, dict):
            raise FaultSpecError("faults: the body must be a JSON object")
        sandbox(request).faults.update(spec)
    except (ValueError, FaultSpecError) as error:
        return web.json_response({"error": str(error)}, status=400)
    return web.json_response(sandbox(request).faults.describe())


async def expire_oauth(request: web.Request) -> web.Response:
    return web.json_response({"expired": await sandbox(request).store.run(expire_tokens)})


def build_app(sb: Any) -> web.Application:
    app = web.Application(middlewares=[brand_middleware], client_max_size=1024 * 1024)
    app[SANDBOX] = sb
    app.add_routes(api_routes)
    app.router.add_post("/oauth2/token", oauth_token)
    app.router.add_get("/_sandbox/audit", get_audit)
    app.router.add_get("/_sandbox/faults", get_faults)
    app.router.add_put("/_sandbox/faults", put_faults)
    app.router.add_post("/_sandbox/oauth/expire", expire_oauth)
    return app
