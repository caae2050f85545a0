"""The OpenAPI document is valid, matches the client's route table and the sandbox's routes, and every
response the sandbox gives (scripted and fuzzed) matches it."""

from __future__ import annotations

import json
import re
import string
import urllib.error
import urllib.request

import pytest
from brandkit import ADMIN, ANA, load_openapi, raw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from qxo.qualtrics.routes import API_PREFIX, ROUTES
from qxo.sandbox.brand import BrandSandbox
from qxo.sandbox.brand.app import build_app

METHODS = ("get", "put", "post", "patch", "delete")


def _doc_operations(doc):
    return {(m.upper(), path) for path, item in doc["paths"].items() for m in METHODS if m in item}


def _normalize(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", template)


def test_the_document_is_valid_openapi_3_1():
    doc = load_openapi()
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_every_client_route_is_in_the_document_with_its_modelled_mark():
    doc = load_openapi()
    by_shape = {(m, _normalize(p)): doc["paths"][p][m.lower()] for m, p in _doc_operations(doc)}
    for name, route in ROUTES.items():
        operation = by_shape.get((route.method, _normalize(API_PREFIX + route.template)))
        assert operation is not None, name
        assert operation["x-qxo-modelled"] is route.modelled, name


def test_every_modelled_route_is_marked_and_only_real_v3_routes_are_not():
    doc = load_openapi()
    real = {"/API/v3/whoami", "/API/v3/users", "/API/v3/users/{userId}", "/API/v3/groups",
            "/API/v3/groups/{groupId}/members", "/API/v3/groups/{groupId}/members/{userId}", "/oauth2/token"}
    for method, path in _doc_operations(doc):
        assert doc["paths"][path][method.lower()]["x-qxo-modelled"] is (path not in real), (method, path)


def test_the_sandbox_serves_exactly_the_documented_routes():
    app = build_app(object())
    served = {(r.method, _normalize(r.resource.canonical)) for r in app.router.routes()
              if r.method in {m.upper() for m in METHODS} and not r.resource.canonical.startswith("/_sandbox/")}
    documented = {(m, _normalize(p)) for m, p in _doc_operations(load_openapi())}
    assert served == documented


async def test_scripted_responses_match_the_document(sandbox, brand, ids, contract):
    account = None
    calls = [
        ("GET", "/API/v3/whoami", None), ("GET", "/API/v3/users?pageSize=2", None),
        ("GET", f"/API/v3/users/{ids[ANA]}", None), ("GET", "/API/v3/users/UR_nope", None),
        ("GET", "/API/v3/groups", None), ("GET", "/API/v3/users?pageSize=0", None),
        ("GET", f"/API/v3/groups/{ids['Support Leads']}/members?pageSize=1", None),
        ("GET", "/API/v3/groups/GR_nope/members", None),
        ("POST", f"/API/v3/groups/{ids['Marketing']}/members", {"userId": ids[ANA]}),
        ("POST", f"/API/v3/groups/{ids['Marketing']}/members", {"userId": "UR_nope"}),
        ("DELETE", f"/API/v3/groups/{ids['Marketing']}/members/{ids[ANA]}", None),
        ("DELETE", f"/API/v3/groups/{ids['Marketing']}/members/{ids[ANA]}", None),
        ("GET", "/API/v3/brands/acme/extensions?include=domains,enablement&pageSize=5", None),
        ("GET", "/API/v3/brands/acme/extensions?include=bogus", None),
        ("PUT", "/API/v3/brands/acme/extensions/brandwatch/installation", {}),
        ("PUT", "/API/v3/brands/acme/extensions/brandwatch/installation", {"acceptTerms": True}),
        ("PUT", "/API/v3/brands/acme/extensions/brandwatch/installation", {"acceptTerms": True}),
        ("GET", "/API/v3/brands/acme/extensions/brandwatch/domains", None),
        ("PUT", "/API/v3/brands/acme/extensions/brandwatch/domains", {"domains": ["http://x.example"]}),
        ("PUT", "/API/v3/brands/acme/extensions/brandwatch/domains", {"domains": ["https://x.example.com"]}),
        ("GET", "/API/v3/brands/acme/extensions/brandwatch/enablement", None),
        ("PUT", "/API/v3/brands/acme/extensions/brandwatch/enablement", {"allUsers": True}),
        ("PUT", "/API/v3/brands/acme/extensions/jira/enablement", {"allUsers": True}),
        ("POST", "/API/v3/brands/acme/extensions/brandwatch/accounts", {"name": "a", "credentials": {"k": "v"}}),
        ("POST", "/API/v3/brands/acme/extensions/brandwatch/accounts", {"name": "a", "credentials": {"k": "v"}}),
        ("GET", "/API/v3/brands/acme/extensions/brandwatch/accounts?include=access", None),
        ("GET", "/API/v3/brands/acme/accounts?include=access", None),
        ("GET", "/API/v3/brands/acme/salesforce-connections", None),
        ("POST", f"/API/v3/users/{ids[ANA]}/salesforce-connections",
         {"name": "s", "environment": "Sandbox", "instanceUrl": "https://s.my.salesforce.com",
          "orgId": "00D000000000009"}),
        ("GET", f"/API/v3/users/{ids[ANA]}/salesforce-connections", None),
        ("GET", f"/API/v3/users/{ids[ANA]}/salesforce-connections/SC_nope", None),
        ("GET", "/API/v3/brands/globex/extensions", None), ("GET", "/API/v3/nowhere", None),
        ("DELETE", "/API/v3/brands/acme/extensions/jira/installation", None),
    ]
    for method, path, body in calls:
        status, answer, _ = await raw(sandbox, method, path, json=body)
        contract.validate(method, path.split("?")[0], status, answer)
        if path.endswith("/accounts") and method == "POST" and status == 201:
            account = answer["result"]
    assert account is not None
    base = f"/API/v3/brands/acme/accounts/{account['id']}"
    ext = f"/API/v3/brands/acme/extensions/brandwatch/accounts/{account['id']}"
    for method, path, body, who in [
        ("GET", base, None, ADMIN), ("GET", ext, None, ADMIN), ("PATCH", ext, {"name": "b"}, ADMIN),
        ("PATCH", base, {"name": 5}, ADMIN), ("GET", base + "/access", None, ADMIN),
        ("PUT", base + "/access", {"allUsers": True}, "ops@acme.example"),
        ("PUT", base + "/access", {"users": [{"id": ids[ANA], "access": "Owner"}]}, ADMIN),
        ("DELETE", ext, None, ADMIN), ("DELETE", base, None, ADMIN),
        ("GET", "/API/v3/whoami", None, None),
        ("DELETE", "/API/v3/brands/acme/extensions/brandwatch/installation", None, ADMIN),
    ]:
        status, answer, _ = await raw(sandbox, method, path, json=body, username=who)
        contract.validate(method, path, status, answer)


# -- fuzzing from the document ---------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=12)
    | st.sampled_from(["https://a.example.com", "https://*.b.example", "UR_", "Owner", "User", "Production"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)
_header_text = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=40)


def _body_strategy(doc: dict, operation: dict):
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if not schema:
        return st.none()
    properties = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]].get("properties", {})
    return _json | st.fixed_dictionaries({}, optional=dict.fromkeys(properties, _json))


def _request(base_url: str, token: str, method: str, path: str, body, headers: dict):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method,
                                     headers={"X-API-TOKEN": token, "Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with BrandSandbox.run_in_thread(str(tmp_path_factory.mktemp("fuzz") / "brand.db")) as sb:
        token = sb.tokens[ADMIN]
        _request(sb.base_url, token, "PUT", "/API/v3/brands/acme/extensions/webservice/installation", {}, {})
        _, made = _request(sb.base_url, token, "POST", "/API/v3/brands/acme/extensions/webservice/accounts",
                           {"name": "fuzz", "credentials": {"k": "v"}}, {})
        _, me = _request(sb.base_url, token, "GET", "/API/v3/whoami", None, {})
        _, groups = _request(sb.base_url, token, "GET", "/API/v3/groups", None, {})
        yield sb, {"brandId": "acme", "extensionId": "webservice", "accountId": made["result"]["id"],
                   "userId": me["result"]["userId"], "connectionId": "SC_000000000000000",
                   "groupId": groups["result"]["elements"][0]["id"]}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_requests_never_cause_an_uninjected_5xx_and_answers_match_the_document(live, contract, data):
    sb, known = live
    doc = contract.doc
    method, template = data.draw(st.sampled_from(sorted(
        (m, p) for m, p in _doc_operations(doc) if p.startswith("/API/"))))
    operation = doc["paths"][template][method.lower()]
    path = template
    for name in re.findall(r"\{([^}]+)\}", template):
        value = data.draw(st.sampled_from([known[name], known[name], "x", "%2e%2e", "UR_000000000000000"]))
        path = path.replace("{" + name + "}", value)
    query = data.draw(st.dictionaries(st.sampled_from(["pageSize", "offset", "include"]),
                                      st.sampled_from(["0", "1", "501", "-1", "x", "access", "domains"]), max_size=2))
    body = data.draw(_body_strategy(doc, operation)) if method in ("PUT", "POST", "PATCH") else None
    headers = {"X-Client-Request-Id": data.draw(_header_text)} if method == "POST" else {}
    url = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    status, answer = _request(sb.base_url, sb.tokens[ADMIN], method, url, body, headers)
    assert status < 500, (method, url, body, answer)
    contract.validate(method, path, status, answer)
