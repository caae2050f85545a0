"""Helpers for the `qxo plan` and `qxo export` tests: a brand sandbox with a context file, examples/ rewritten
to point at it, the CLI run in-process, the sandbox's audit log to count writes, and operator-free setup."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qxo.cli import main
from qxo.qualtrics import Access, BrandClient, BrandConfig, Enablement
from qxo.sandbox.brand import BrandSandbox
from qxo.trust.endpoints import Allowlist

ROOT = Path(__file__).resolve().parents[2]
ADMIN, OPS = "admin@acme.example", "ops@acme.example"
EXAMPLE_SECRET_VALUES = ("FAKE-qualtrics-api-token-not-real", "FAKE-ticketing-password-not-real",
                         "FAKE-brandwatch-api-key-not-real", "svc-qualtrics")


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def qxo(*argv: str, allow_loopback: bool = True) -> Run:
    """The real command line, in this process (the sandbox serves from its own thread).

    plan and export may call (and validate accepts) the sandbox's 127.0.0.1, `--allow-endpoint 127.0.0.1`,
    unless told otherwise.
    """
    out, err = io.StringIO(), io.StringIO()
    if allow_loopback and argv[:1] in (("plan",), ("export",), ("validate",)):
        argv = (*argv, "--allow-endpoint", "127.0.0.1")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


class Brand:
    def __init__(self, sandbox: BrandSandbox, tmp: Path) -> None:
        self.sandbox = sandbox
        self.tmp = tmp
        self.context = tmp / "brand-context.json"
        self.context.write_text(json.dumps(sandbox.credentials()))

    def audit(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.sandbox.base_url}/_sandbox/audit?limit=100000") as response:
            return json.load(response)["entries"]

    def writes(self, since: int = 0) -> list[dict[str, Any]]:
        return [e for e in self.audit()[since:] if e["method"] != "GET"]

    def secrets(self) -> list[str]:
        """Every credential the sandbox issued: none may appear in any output."""
        creds = self.sandbox.credentials()
        values = list(creds["tokens"].values())
        for client in creds["oauth_clients"].values():
            values.extend(v for v in (client.values() if isinstance(client, dict) else [client]) if isinstance(v, str))
        return [v for v in values if len(v) >= 8]

    def config(self, user: str = ADMIN) -> BrandConfig:
        return BrandConfig(base_url=self.sandbox.base_url, brand_id=self.sandbox.brand_id,
                           api_token=self.sandbox.tokens[user], requests_per_minute=600_000,
                           backoff_base_seconds=0.005, backoff_max_seconds=0.02, timeout_seconds=5,
                           allowlist=Allowlist.with_defaults(["127.0.0.1"]))

    def call(self, work, user: str = ADMIN) -> Any:
        """Run `await work(client)` with a brand client of `user`: the operator-free way to change the brand."""
        async def go():
            async with BrandClient(self.config(user)) as client:
                return await work(client)
        return asyncio.run(go())

    def examples(self, edit=None, salesforce: bool = False) -> Path:
        """examples/ (by default without Salesforce) with the brand at the sandbox, in a fresh directory."""
        directory = self.tmp / f"manifests-{len(list(self.tmp.glob('manifests-*')))}"
        directory.mkdir()
        for path in sorted((ROOT / "examples").glob("*.yaml")):
            if path.name.startswith("40-") and not salesforce:
                continue
            documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
            for document in documents:
                if document["kind"] == "QualtricsBrand":
                    document["spec"].pop("datacenter", None)
                    document["spec"]["baseURL"] = self.sandbox.base_url
                if edit is not None:
                    edit(document)
            (directory / path.name).write_text(yaml.safe_dump_all(documents, sort_keys=False))
        return directory


async def apply_examples(client: BrandClient) -> dict[str, str]:
    """What examples/ declare, made directly with the brand client (no operator); returns the account ids."""
    users = {u.username: u.id for u in await client.users()}
    groups = {g.name: g.id for g in await client.groups()}
    await client.install("webservice")
    await client.put_domains("webservice", ["https://tickets.acme.example", "https://*.api.acme.example",
                                            "https://hooks.acme.example:*"])
    await client.put_enablement("webservice", Enablement(groups=(groups["CX Analysts"], groups["Support Leads"])))
    await client.install("brandwatch", accept_terms=True)
    await client.put_domains("brandwatch", ["https://api.brandwatch.com"])
    await client.put_enablement("brandwatch", Enablement(users=(users["ana.lima@acme.example"],
                                                                users["chen.wei@acme.example"]),
                                                         groups=(groups["Marketing"],)))
    ticketing = await client.create_account("webservice", "Acme ticketing API",
                                            {"username": "svc-qualtrics", "password": "s3cr3t-ticketing-pw"})
    social = await client.create_account("brandwatch", "Acme social listening", {"apiKey": "s3cr3t-bw-key"})
    await client.put_access(ticketing.id, Access.of(
        users=[(users["ana.lima@acme.example"], "User"), (users["ben.okafor@acme.example"], "User"),
               (users["ops@acme.example"], "Owner")], groups=[(groups["Support Leads"], "User")]))
    await client.put_access(social.id, Access.of(all_users=True, users=[(users["ops@acme.example"], "Owner")]))
    return {"ticketing": ticketing.id, "social": social.id}


SETUP_SECRET_VALUES = ("s3cr3t-ticketing-pw", "s3cr3t-bw-key")
