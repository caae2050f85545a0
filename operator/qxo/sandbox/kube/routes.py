"""HTTP routing: authentication, request counting, URL parsing, and the mapping of methods to verbs."""

from __future__ import annotations

import json
import logging
from collections import Counter

from aiohttp import web

from qxo.sandbox.kube import discovery, reads, writes
from qxo.sandbox.kube.errors import ApiError, not_found, page_not_found
from qxo.sandbox.kube.reads import Target, respond
from qxo.sandbox.kube.watching import Stream

log = logging.getLogger(__name__)
OPEN_PATHS = ("/version", "/healthz", "/livez", "/readyz", "/_sandbox/")
NS_SUBRESOURCES = ("status", "finalize")
SANDBOX: web.AppKey = web.AppKey("sandbox")


def _parse(sandbox, group: str, version: str, parts: list[str]) -> Target:
    registry = sandbox.registry

    def rtype_of(plural: str):
        rtype = registry.get(group, version, plural)
        if rtype is None:
            # the core group answers a Status; a group's unknown resource falls through to the plain mux 404
            if group:
                raise page_not_found()
            raise ApiError(404, "the server could not find the requested resource", details={})
        return rtype

    if len(parts) >= 3 and parts[0] == "namespaces" and parts[2] not in NS_SUBRESOURCES:
        rtype = rtype_of(parts[2])
        if not rtype.namespaced or len(parts) > 5:
            raise ApiError(404, "the server could not find the requested resource")
        target = Target(rtype, parts[1], name=parts[3] if len(parts) > 3 else "",
                        sub=parts[4] if len(parts) > 4 else "")
    elif 1 <= len(parts) <= 3:
        rtype = rtype_of(parts[0])
        target = Target(rtype, "", all_namespaces=rtype.namespaced, name=parts[1] if len(parts) > 1 else "",
                        sub=parts[2] if len(parts) > 2 else "")
        if rtype.namespaced and target.name:
            raise ApiError(404, "the server could not find the requested resource")
    else:
        raise ApiError(404, "the server could not find the requested resource")
    if target.sub and (target.sub != "status" or not target.rtype.status_subresource):
        raise ApiError(404, "the server could not find the requested resource", details={})
    return target


def _verb(method: str, target: Target, query) -> str:
    if method == "GET":
        if query.get("watch") in ("true", "1"):
            return "watch"
        return "get" if target.name else "list"
    if method == "POST":
        return "create"
    if method == "PUT":
        return "update"
    if method == "PATCH":
        return "patch"
    if method == "DELETE":
        return "delete" if target.name else "deletecollection"
    raise ApiError(405, f"the server does not allow this method on the requested resource: {method}")


async def _resource(request: web.Request, group: str, version: str, rest: str) -> web.StreamResponse:
    sandbox = request.app[SANDBOX]
    parts = [p for p in rest.split("/") if p]
    target = _parse(sandbox, group, version, parts)
    verb = _verb(request.method, target, request.query)
    if target.sub and verb not in ("get", "update", "patch"):
        raise ApiError(405, "the server does not allow this method on the requested resource",
                       details={"group": target.rtype.group, "kind": target.rtype.plural})
    if verb not in target.rtype.verbs:
        raise ApiError(405, "the server does not allow this method on the requested resource",
                       details={"group": target.rtype.group, "kind": target.rtype.plural})
    resource = target.rtype.plural + (f"/{target.sub}" if target.sub else "")
    sandbox.stats[f"{verb} {resource}"] += 1
    if verb in ("create", "deletecollection", "list") and target.name:
        raise ApiError(405, "the server does not allow this method on the requested resource")
    if verb == "create" and target.all_namespaces:
        raise ApiError(405, "the server does not allow this method on the requested resource")
    if verb == "watch":
        return await Stream(sandbox, target, request).run()
    if verb == "get":
        return reads.get(sandbox.store, target, request)
    if verb == "list":
        return reads.list_objects(sandbox, target, request)
    handler = {
        "create": writes.create, "update": writes.update, "patch": writes.patch,
        "delete": writes.delete, "deletecollection": writes.delete_collection,
    }[verb]
    return await handler(sandbox, target, request)


async def core(request: web.Request) -> web.StreamResponse:
    version, _, rest = request.match_info["path"].partition("/")
    if version != "v1":
        raise ApiError(404, "the server could not find the requested resource")
    if not rest:
        return respond(discovery.resource_list("", "v1", request.app[SANDBOX].registry.groups()[""]["v1"]))
    return await _resource(request, "", version, rest)


async def groups(request: web.Request) -> web.StreamResponse:
    registry = request.app[SANDBOX].registry
    parts = request.match_info["path"].split("/", 2)
    group_versions = registry.groups().get(parts[0]) if parts[0] else None
    if group_versions is None:
        raise page_not_found()
    if len(parts) == 1 or not parts[1]:
        return respond(discovery.api_group(parts[0], group_versions))
    if parts[1] not in group_versions:
        raise page_not_found()
    if len(parts) == 2 or not parts[2]:
        return respond(discovery.resource_list(parts[0], parts[1], group_versions[parts[1]]))
    return await _resource(request, parts[0], parts[1], parts[2])


async def api_root(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    media = discovery.accepts_aggregated(request.headers.get("Accept", ""))
    if media:
        return respond(discovery.aggregated(sandbox.registry, True, media), content_type=media)
    return respond(discovery.api_versions(request.host))


async def apis_root(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    media = discovery.accepts_aggregated(request.headers.get("Accept", ""))
    if media:
        return respond(discovery.aggregated(sandbox.registry, False, media), content_type=media)
    return respond(discovery.api_group_list(sandbox.registry))


async def version(request: web.Request) -> web.Response:
    return respond(discovery.VERSION)


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def openapi_root(request: web.Request) -> web.Response:
    return respond(request.app[SANDBOX].openapi.root())


async def openapi_doc(request: web.Request) -> web.Response:
    body = request.app[SANDBOX].openapi.document(request.match_info["path"])
    if body is None:
        return web.Response(status=404)  # the real server answers an unknown document with an empty 404
    return respond(body)


async def stats(request: web.Request) -> web.Response:
    counts: Counter[str] = request.app[SANDBOX].stats
    by_verb: dict[str, dict[str, int]] = {}
    for key, count in counts.items():
        verb, resource = key.split(" ", 1)
        by_verb.setdefault(verb, {})[resource] = count
    return respond({"total": sum(counts.values()), "requests": by_verb})


@web.middleware
async def status_errors(request: web.Request, handler):
    sandbox = request.app[SANDBOX]
    try:
        if sandbox.token and not request.path.startswith(OPEN_PATHS):
            if request.headers.get("Authorization", "") != f"Bearer {sandbox.token}":
                raise ApiError(401, "Unauthorized")
        return await handler(request)
    except ApiError as error:
        if error.plain:
            return web.Response(text=error.message, status=error.code, content_type="text/plain")
        return respond(error.status(), error.code, error.warnings)
    except web.HTTPException as error:
        if error.status == 404:
            return respond(not_found("", "", request.path).status() | {
                "message": "the server could not find the requested resource", "details": {}}, 404)
        raise
    except (json.JSONDecodeError, ValueError) as error:
        return respond(ApiError(400, str(error)).status(), 400)
    except Exception as error:
        log.exception("kube sandbox failed on %s %s", request.method, request.path)
        return respond(ApiError(500, f"Internal error occurred: {type(error).__name__}").status(), 500)


def build_app(sandbox) -> web.Application:
    app = web.Application(middlewares=[status_errors], client_max_size=16 * 1024 * 1024)
    app[SANDBOX] = sandbox
    app.router.add_get("/version", version)
    for path in ("/healthz", "/livez", "/readyz"):
        app.router.add_get(path, health)
    app.router.add_get("/_sandbox/stats", stats)
    app.router.add_get("/api", api_root)
    app.router.add_get("/api/", api_root)
    app.router.add_get("/apis", apis_root)
    app.router.add_get("/apis/", apis_root)
    app.router.add_get("/openapi/v3", openapi_root)
    app.router.add_get("/openapi/v3/{path:.+}", openapi_doc)
    app.router.add_route("*", "/api/{path:.+}", core)
    app.router.add_route("*", "/apis/{path:.+}", groups)
    return app
