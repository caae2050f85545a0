"""The v3 envelope and the request plumbing every sandbox handler shares.

Success: `{"result": ..., "meta": {"httpStatus", "requestId"}}`; failure: the same `meta` with
`error: {errorCode, errorMessage, field}`. Lists: `result.elements` + `result.nextPage`, a full
URL or null.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web

from qxo.sandbox.brand.common import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Caller, Outcome, require_admin
from qxo.sandbox.brand.rules import ApiError, invalid
from qxo.sandbox.brand.state_people import caller_for_token
from qxo.sandbox.brand.store import Store, dumps

SANDBOX = web.AppKey("sandbox", object)
# How long a client request id is remembered: long enough for any retry or operator restart.
IDEMPOTENCY_SECONDS = 24 * 3600
# Typed per-request keys where aiohttp has them (3.14+); plain strings before.
_request_key = getattr(web, "RequestKey", None)


def _key(name: str, kind: type) -> Any:
    return _request_key(name, kind) if _request_key else name


REQUEST_ID = _key("request_id", str)
CALLER = _key("caller", object)
OUTCOME = _key("outcome", object)
BODY = _key("body", object)


def meta(status: int, request_id: str) -> dict:
    return {"httpStatus": f"{status} - {HTTPStatus(status).phrase}", "requestId": request_id}


def envelope(status: int, result: Any, request_id: str) -> web.Response:
    return web.json_response({"result": result, "meta": meta(status, request_id)}, status=status, dumps=dumps)


def error_response(error: ApiError, request_id: str, headers: dict | None = None) -> web.Response:
    body = {"meta": {**meta(error.status, request_id),
                     "error": {"errorCode": error.code, "errorMessage": error.message, "field": error.field}}}
    return web.json_response(body, status=error.status, headers=headers, dumps=dumps)


def sandbox(request: web.Request) -> Any:
    return request.app[SANDBOX]


def store(request: web.Request) -> Store:
    return sandbox(request).store


async def authorize(request: web.Request, *, admin: bool = False, brand: bool = False) -> Caller:
    bearer = request.headers.get("Authorization", "")
    bearer = bearer[7:].strip() if bearer[:7].lower() == "bearer " else None
    caller = await store(request).run(caller_for_token, request.headers.get("X-API-TOKEN"), bearer)
    if caller is None:
        # Never echo the presented token: it may be a real one sent to the wrong place.
        raise ApiError(401, "AUTHENTICATION_FAILED", "missing, unknown or expired API token or OAuth access token")
    request[CALLER] = caller
    if brand and request.match_info.get("brandId") != sandbox(request).brand_id:
        raise ApiError(404, "BRAND_NOT_FOUND", "no such brand for this token")
    if admin:
        require_admin(caller)
    return caller


async def json_body(request: web.Request) -> Any:
    if not request.can_read_body:
        raise invalid("INVALID_BODY", "body", "a JSON body is required")
    try:
        body = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError):
        raise invalid("INVALID_JSON", "body", "is not valid JSON") from None
    request[BODY] = body
    return body


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid("INVALID_PARAMETER", name, f"must be an integer from {low} to {high}")
    return int(raw)


def includes(request: web.Request, allowed: set[str]) -> set[str]:
    wanted = {p.strip() for p in request.query.get("include", "").split(",") if p.strip()}
    unknown = wanted - allowed
    if unknown:
        raise invalid("INVALID_PARAMETER", "include", f"unknown {sorted(unknown)} (allowed: {sorted(allowed)})")
    return wanted


async def run_page(request: web.Request, fn: Callable, *args: Any) -> web.Response:
    """Run a paged listing `fn(conn, *args, offset, size) -> (elements, more)`."""
    size = _int_param(request, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    offset = _int_param(request, "offset", 0, 0, 10**9)
    elements, more = await store(request).run(fn, *args, offset, size)
    next_page = str(request.url.update_query(offset=str(offset + size))) if more else None
    request[OUTCOME] = Outcome(200, None)
    return envelope(200, {"elements": elements, "nextPage": next_page}, request[REQUEST_ID])


async def run(request: web.Request, fn: Callable, *args: Any) -> web.Response:
    """Run a read or write; POSTs replay their original answer for a repeated X-Client-Request-Id."""
    key = request.headers.get("X-Client-Request-Id")
    if request.method == "POST" and key:
        if len(key) > 200:
            raise invalid("INVALID_HEADER", "X-Client-Request-Id", "at most 200 characters")
        fingerprint = hashlib.sha256(dumps([request.path, request.get(BODY)]).encode()).hexdigest()
        outcome = await store(request).run(_idempotent, request[CALLER], key, fingerprint, fn, args)
    else:
        outcome = await store(request).run(_plain, fn, args)
    request[OUTCOME] = outcome
    response = envelope(outcome.status, outcome.result, request[REQUEST_ID])
    if outcome.replayed:
        response.headers["X-Idempotent-Replay"] = "true"
    return response


def _plain(conn, fn: Callable, args: tuple) -> Outcome:
    return fn(conn, *args)


def _idempotent(conn, caller: Caller, key: str, fingerprint: str, fn: Callable, args: tuple) -> Outcome:
    row = conn.execute("SELECT fingerprint, status, body FROM idempotency WHERE user_id = ? AND key = ? "
                       "AND created > ?", (caller.user_id, key, time.time() - IDEMPOTENCY_SECONDS)).fetchone()
    if row is not None:
        if row[0] != fingerprint:
            raise ApiError(409, "CLIENT_REQUEST_ID_REUSED", "X-Client-Request-Id: already used for a different "
                           "request", "X-Client-Request-Id")
        return Outcome(row[1], json.loads(row[2]), replayed=True)
    outcome = fn(conn, *args)
    conn.execute("DELETE FROM idempotency WHERE created <= ?", (time.time() - IDEMPOTENCY_SECONDS,))
    conn.execute("INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?, ?)",
                 (caller.user_id, key, fingerprint, outcome.status, dumps(outcome.result), time.time()))
    return outcome
