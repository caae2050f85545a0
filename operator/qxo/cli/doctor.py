"""`qxo doctor salesforce`: refresh a token and run the SalesforceLink preflight from the command line.

Prints a table of check, result and message (or JSON); exit 0 when no check failed, 1 when any
failed (or authentication failed) or, with --require-verified, when any is unknown; 2 on bad usage.
An unknown check is one the integration user lacks the permission to verify, as for a SalesforceLink
without `spec.preflight.requireVerified`. Never prints a token.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

# Only the light modules here; the HTTP client waits for `_diagnose`: every `qxo` command
# imports this module to build its parser.
from qxo.cli._allowlist import add_allow_endpoint, allowlist_from
from qxo.salesforce.checks import Check
from qxo.salesforce.errors import SalesforceError
from qxo.salesforce.ipranges import parse_cidr
from qxo.salesforce.requirements import (
    DEFAULT_CONNECTED_APP,
    FieldRequirement,
    ObjectRequirement,
    RecordTypeRequirement,
    Requirements,
)
from qxo.salesforce.settings import ConnectionSettings
from qxo.trust.endpoints import InvalidEndpoint, NotAllowed


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="diagnose a connection before committing it (salesforce)")
    targets = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    sf = targets.add_parser(
        "salesforce",
        help="check a Salesforce integration user and org against a SalesforceLink's requirements",
        description="Refresh an access token and run the SalesforceLink preflight checks; exit 1 unless all pass.",
    )
    sf.add_argument("--env", choices=("production", "sandbox"), default="production", help="Salesforce environment")
    sf.add_argument("--login-url", help="My Domain URL (https) to log in at instead of the environment's host")
    sf.add_argument("--client-id", required=True, help="the connected app's consumer key")
    sf.add_argument("--client-secret-file", metavar="FILE", help="file holding the consumer secret")
    sf.add_argument("--refresh-token-file", required=True, metavar="FILE", help="file holding the refresh token")
    sf.add_argument("--ca-bundle", metavar="FILE", help="CA bundle (PEM) to trust for Salesforce's TLS")
    sf.add_argument("--connected-app", default=DEFAULT_CONNECTED_APP, help="connected app name whose policies to check")
    sf.add_argument(
        "--require-object",
        action="append",
        default=[],
        metavar="OBJECT:ACCESS[,ACCESS]",
        help="e.g. Contact:viewall,modifyall,create (ViewAll|ModifyAll|Create|Read|Edit|Delete)",
    )
    sf.add_argument(
        "--require-field",
        action="append",
        default=[],
        metavar="OBJECT.FIELD:ACCESS[,ACCESS]",
        help="e.g. Contact.Email:read,edit",
    )
    sf.add_argument(
        "--require-record-type",
        action="append",
        default=[],
        metavar="OBJECT.DEVELOPERNAME",
        help="e.g. Case.Support_Case",
    )
    sf.add_argument(
        "--ip-range",
        action="append",
        default=[],
        metavar="CIDR",
        help="a regional Qualtrics range the profile's login IP ranges must also cover",
    )
    sf.add_argument(
        "--require-verified",
        action="store_true",
        help="fail (exit 1) when a check is unknown because the user may not read what verifies it",
    )
    sf.add_argument("--output", choices=("table", "json"), default="table")
    add_allow_endpoint(sf)
    sf.set_defaults(func=run_salesforce, _parser=sf)


def _split(value: str, sep: str, flag: str) -> tuple[str, str]:
    head, found, tail = value.partition(sep)
    if not found or not head or not tail:
        raise ValueError(f"{flag}: {value!r} is not in the form shown by --help")
    return head, tail


def build_requirements(args: argparse.Namespace) -> Requirements:
    objects = []
    for value in args.require_object:
        name, access = _split(value, ":", "--require-object")
        objects.append(ObjectRequirement(name, tuple(access.split(","))))
    fields = []
    for value in args.require_field:
        qualified, access = _split(value, ":", "--require-field")
        obj, field = _split(qualified, ".", "--require-field")
        fields.append(FieldRequirement(obj, field, tuple(access.split(","))))
    record_types = [RecordTypeRequirement(*_split(v, ".", "--require-record-type")) for v in args.require_record_type]
    return Requirements(tuple(objects), tuple(fields), tuple(record_types), connected_app=args.connected_app)


def _read_secret(path: str | None, flag: str) -> str | None:
    if path is None:
        return None
    try:
        value = Path(path).read_text().strip()
    except OSError as error:
        raise ValueError(f"{flag}: cannot read {path} ({error.strerror})") from None
    if not value:
        raise ValueError(f"{flag}: {path} is empty")
    return value


def build_settings(args: argparse.Namespace) -> ConnectionSettings:
    if args.ca_bundle and not Path(args.ca_bundle).is_file():
        raise ValueError(f"--ca-bundle: {args.ca_bundle} is not a file")
    return ConnectionSettings(
        allowlist=allowlist_from(args, args._parser),
        client_id=args.client_id,
        client_secret=_read_secret(args.client_secret_file, "--client-secret-file"),
        refresh_token=_read_secret(args.refresh_token_file, "--refresh-token-file"),
        environment="Sandbox" if args.env == "sandbox" else "Production",
        login_url=args.login_url,
        ca_bundle=args.ca_bundle,
    )


async def _diagnose(settings: ConnectionSettings, requirements: Requirements, ranges: list[str]) -> list[Check]:
    from qxo.salesforce.connection import SalesforceConnection
    from qxo.salesforce.preflight import run_preflight

    connection = SalesforceConnection(settings)
    try:
        await connection.tokens.current()
    except SalesforceError as error:
        connection.close()
        return [Check("Authenticated", "Failed", f"{type(error).__name__}: {error}")]
    try:
        checks = await run_preflight(connection, requirements, additional_ranges=ranges)
    except SalesforceError as error:
        return [
            Check("Authenticated", "Passed", "the refresh token was exchanged for an access token"),
            Check("Preflight", "Failed", f"{type(error).__name__}: {error}"),
        ]
    finally:
        connection.close()
    return [Check("Authenticated", "Passed", "the refresh token was exchanged for an access token"), *checks]


def render_table(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"{'CHECK'.ljust(width)}  RESULT   MESSAGE"]
    lines += [f"{c.name.ljust(width)}  {c.result.ljust(7)}  {c.message}" for c in checks]
    return "\n".join(lines)


def run_salesforce(args: argparse.Namespace) -> int:
    try:
        requirements = build_requirements(args)
        settings = build_settings(args)
        ranges = [str(parse_cidr(r, "--ip-range")) for r in args.ip_range]
    except ValueError as error:
        args._parser.print_usage(sys.stderr)
        print(f"qxo doctor salesforce: error: {error}", file=sys.stderr)
        return 2
    try:
        # The refresh token and client secret go to the login URL: never to one the allowlist does not allow.
        settings.allowlist.for_service("salesforce").check_url(settings.login_base)
    except (NotAllowed, InvalidEndpoint) as refused:
        checks = [Check("Authenticated", "Failed", f"{'--login-url' if args.login_url else '--env'}: {refused}")]
    else:
        checks = asyncio.run(_diagnose(settings, requirements, ranges))
    verified = all(c.result != "Unknown" for c in checks)
    passed = all(c.result != "Failed" for c in checks) and (verified or not args.require_verified)
    if args.output == "json":
        print(json.dumps({"passed": passed, "verified": verified, "checks": [c.as_dict() for c in checks]},
                         indent=2))
    else:
        print(render_table(checks))
    return 0 if passed else 1
