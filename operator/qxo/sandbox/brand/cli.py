"""`qxo sandbox brand`: run the sandbox brand until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from typing import TYPE_CHECKING

from qxo.sandbox.brand.audit import DEFAULT_KEEP
from qxo.sandbox.brand.faults import FaultSpecError, parse_spec

if TYPE_CHECKING:
    from qxo.sandbox.brand.server import BrandSandbox


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "brand", help="the sandbox Qualtrics brand (modelled extension administration, v3 users/groups)",
        description="Run the sandbox brand: a real HTTP server persisted in SQLite, for trying and testing qxo.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--db", required=True, help="SQLite file; state survives restarts")
    parser.add_argument("--credentials-out", help="write base_url, brand_id and API tokens (JSON) here")
    parser.add_argument("--latency-ms", type=float, default=0, help="added to every API call")
    parser.add_argument("--rate-limit", type=int, default=None, help="requests per minute; 429 beyond")
    parser.add_argument("--faults", default=None,
                        help="e.g. 500=0.1,503=0.05,429=0.05,timeout=0.02,drop=0.02,hang=5")
    parser.add_argument("--seed", type=int, default=0, help="seed for ids and fault draws")
    parser.add_argument("--extra-extensions", type=int, default=0,
                        help="synthetic catalog entries beyond the seed's 32 (benchmarks; new databases only)")
    parser.add_argument("--max-salesforce-connections", type=int, default=None, metavar="N",
                        help="refuse a user's Salesforce connection beyond N (no Qualtrics page states a limit: "
                             "off by default)")
    parser.add_argument("--audit-entries", type=int, default=DEFAULT_KEEP, metavar="N",
                        help="the audit log keeps the latest N entries (its totals count every call)")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    # Imported here, not at the top: every `qxo` command imports this module to build its parser.
    from qxo.sandbox.brand.server import BrandSandbox

    try:
        faults = parse_spec(args.faults)
        sandbox = BrandSandbox(args.db, latency_ms=args.latency_ms, rate_limit=args.rate_limit, faults=faults,
                               seed=args.seed, extra_extensions=args.extra_extensions,
                               max_salesforce_connections=args.max_salesforce_connections,
                               audit_entries=args.audit_entries)
    except (FaultSpecError, ValueError) as error:
        print(f"qxo sandbox brand: {error}", file=sys.stderr)
        return 2
    return asyncio.run(_serve(sandbox, args.port, args.credentials_out))


async def _serve(sandbox: BrandSandbox, port: int, credentials_out: str | None) -> int:
    await sandbox.start(port=port)
    try:
        if credentials_out:
            _write_private(credentials_out, json.dumps(sandbox.credentials(), indent=2) + "\n")
        print(f"brand sandbox: {sandbox.base_url} (brand {sandbox.brand_id}); Ctrl-C to stop", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0


def _write_private(path: str, text: str) -> None:
    # Tokens inside: readable by the owner only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
