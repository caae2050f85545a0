"""The `--allow-endpoint PATTERN` flag every command that may call a brand or Salesforce takes, read one way."""

from __future__ import annotations

import argparse

from qxo.trust.endpoints import DEFAULT_PATTERNS, Allowlist, InvalidEndpoint


def add_allow_endpoint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-endpoint", action="append", default=[], metavar="PATTERN", dest="allow_endpoints",
        help="also allow this endpoint (repeatable): HOST, *.DOMAIN, an IP, [IPv6], each optionally :PORT. "
             f"Always allowed: {', '.join(DEFAULT_PATTERNS)}. Link-local and metadata addresses never are")


def allowlist_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Allowlist:
    """The defaults plus the command line's patterns; a bad pattern is a usage error (exit 2)."""
    try:
        return Allowlist.with_defaults(args.allow_endpoints)
    except InvalidEndpoint as error:
        parser.error(f"--allow-endpoint {error}")
        raise  # parser.error exits; this keeps type checkers honest
