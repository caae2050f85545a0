"""`qxo sandbox salesforce --port N --ca-out FILE --credentials-out FILE`: serve the sandbox org until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "salesforce",
        help="HTTPS Salesforce orgs (OAuth, REST query, describe, Metadata reads) for testing",
        description="Serve a Sandbox org and its Production twin over HTTPS with a generated CA. For trying and "
                    "testing qxo only.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--ca-out", required=True, metavar="FILE", help="write the CA certificate (PEM) here")
    parser.add_argument(
        "--credentials-out",
        required=True,
        metavar="FILE",
        help="write login_url, instance_url, client_id, client_secret, refresh_token, organization_id and "
             "production (the Production twin's organization_id and refresh_token) as JSON here",
    )
    parser.add_argument(
        "--token-lifetime", type=float, default=3600, metavar="SECONDS", help="access token lifetime (default 3600)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qxo.sandbox.salesforce import SalesforceSandbox

    async def serve() -> None:
        sandbox = SalesforceSandbox(token_lifetime_seconds=args.token_lifetime)
        await sandbox.start(args.host, args.port)
        try:
            shutil.copyfile(sandbox.ca_path, args.ca_out)
            sandbox.write_credentials(args.credentials_out)
            print(
                f"Salesforce sandbox at {sandbox.instance_url} (CA {args.ca_out}, credentials {args.credentials_out})",
                file=sys.stderr,
                flush=True,
            )
            await asyncio.Event().wait()
        finally:
            await sandbox.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
    return 0
