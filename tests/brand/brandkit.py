"""Helpers for the brand tests: client configs, raw HTTP calls, the audit log, and contract validation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from qxo.qualtrics import BrandConfig
from qxo.sandbox.brand import BrandSandbox
from qxo.trust.endpoints import Allowlist

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "docs" / "brand-api.openapi.yaml"
ADMIN, OPS = "admin@acme.example", "ops@acme.example"
ANA, BEN, CHEN, DANA = (f"{n}@acme.example" for n in ("ana.lima", "ben.okafor", "chen.wei", "dana.berg"))
# The sandboxes listen on 127.0.0.1, which the operator's administrator allows as `--allow-endpoint 127.0.0.1`.
LOOPBACK = Allowlist.with_defaults(["127.0.0.1"])


def fast_config(sb: BrandSandbox, username: str = ADMIN, **overrides: Any) -> BrandConfig:
    """Retries fast and a rate far above what tests need, so no test waits on purpose."""
    options: dict[str, Any] = dict(base_url=sb.base_url, brand_id=sb.brand_id, api_token=sb.tokens[username],
                                   requests_per_minute=600_000, backoff_base_seconds=0.005,
                                   backoff_max_seconds=0.02, timeout_seconds=5, max_attempts=6,
                                   allowlist=LOOPBACK)
    options.update(overrides)
    return BrandConfig(**options)


async def raw(sb: BrandSandbox, method: str, path: str, *, username: str | None = ADMIN, json: Any = None,
              headers: dict | None = None, query: dict | None = None) -> tuple[int, Any, dict]:
    """One HTTP call without the client: for contract checks and hostile input."""
    all_headers = dict(headers or {})
    if username:
        all_headers["X-API-TOKEN"] = sb.tokens[username]
    async with aiohttp.ClientSession() as session, session.request(
            method, sb.base_url + path, json=json, headers=all_headers, params=query) as response:
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = None
        return response.status, body, dict(response.headers)


async def audit(sb: BrandSandbox, since: int = 0) -> dict:
    async with aiohttp.ClientSession() as session, session.get(
            f"{sb.base_url}/_sandbox/audit", params={"since": str(since)}) as response:
        return await response.json()


async def set_faults(sb: BrandSandbox, spec: dict) -> dict:
    async with aiohttp.ClientSession() as session, session.put(f"{sb.base_url}/_sandbox/faults", json=spec) as r:
        assert r.status == 200, await r.text()
        return await r.json()



def load_openapi() -> dict:
    return yaml.safe_load(OPENAPI.read_text())


DOC_URI = "urn:qxo:brand-api"


class Contract:
    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.registry = Registry().with_resource(DOC_URI, Resource(contents=doc, specification=DRAFT202012))
        self._templates = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path)
                           for path in doc["paths"]]

    def template_for(self, path: str) -> str | None:
        # Prefer the most specific template (fewest parameters) when two match.
        matches = [t for rx, t in self._templates if rx.match(path)]
        return min(matches, key=lambda t: t.count("{"), default=None)

    def response_schema(self, method: str, path: str, status: int) -> dict:
        template = self.template_for(path)
        operation = self.doc["paths"][template].get(method.lower()) if template else None
        if operation is None:
            # Unknown routes and methods still answer with the v3 error envelope.
            assert status in (404, 405), f"{method} {path} is not in the contract but answered {status}"
            return {"$ref": "#/components/schemas/ErrorEnvelope"}
        responses = operation["responses"]
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        assert response, f"{method} {template} does not document status {status}"
        if "$ref" in response:
            response = self.doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        return response["content"]["application/json"]["schema"]

    def validate(self, method: str, path: str, status: int, body: Any) -> None:
        schema = self.response_schema(method, path, status)
        if "$ref" in schema:
            schema = {"$ref": DOC_URI + schema["$ref"]}
        validator = jsonschema.Draft202012Validator(schema, registry=self.registry,
                                                    format_checker=jsonschema.FormatChecker())
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, f"{method} {path} {status}: " + "; ".join(
            f"{list(e.path)}: {e.message}" for e in errors[:5])
