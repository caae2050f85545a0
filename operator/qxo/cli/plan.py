"""`qxo plan -f DIR`: what applying the manifests would change in the live brand; exit 0, 2 (changes) or 1."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from qxo.cli._allowlist import add_allow_endpoint, allowlist_from


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="show what applying manifests would change in the live brand (never writes)",
        description="Validate the manifests as `qxo validate` does, observe the brand their QualtricsBrand names "
                    "with the operator's own code, and print what the operator would change. Exit 0 when "
                    "nothing would change, 2 when something would, 1 on error (invalid manifests, a refused "
                    "spec, an unreachable brand). Reads only: made for a pull-request check.",
    )
    parser.add_argument("-f", "--filename", dest="paths", action="append", required=True, metavar="PATH",
                        help="a manifest file or directory (repeatable)")
    parser.add_argument("--brand-context", metavar="FILE",
                        help="JSON with base_url (or datacenter), brand_id and token; the token may instead come "
                             "from QXO_BRAND_TOKEN")
    parser.add_argument("--output", "-o", choices=("text", "json"), default="text")
    add_allow_endpoint(parser)
    parser.set_defaults(func=run, _parser=parser)


def _fail(args: argparse.Namespace, message: str, problems: list | None = None) -> int:
    from qxo.gitops.render import error_json

    if args.output == "json":
        json.dump(error_json(message, problems), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in problems or ():
            print(problem.display(), file=sys.stderr)
        print(f"qxo plan: {message}", file=sys.stderr)
    return 1


def run(args: argparse.Namespace) -> int:
    from qxo.gitops.context import GitopsError
    from qxo.gitops.manifests import InvalidManifests, load_declared
    from qxo.gitops.render import plan_text

    allowlist = allowlist_from(args, args._parser)
    try:
        declared = load_declared(args.paths, allowlist)
    except InvalidManifests as invalid:
        return _fail(args, f"the manifests are invalid ({len(invalid.problems)} errors); nothing was planned",
                     invalid.problems)
    try:
        plan = asyncio.run(_plan(args, declared, allowlist))
    except GitopsError as error:
        return _fail(args, str(error))
    if args.output == "json":
        json.dump(plan.as_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(plan_text(plan))
    return plan.exit_code


async def _plan(args: argparse.Namespace, declared, allowlist):
    from qxo.gitops.context import GitopsError, brand_config, brand_session, load_context
    from qxo.gitops.planner import plan_brand

    if len(declared.brands) != 1:
        found = ", ".join(sorted(d.name for d in declared.brands)) or "none"
        raise GitopsError(f"plan needs exactly one QualtricsBrand in the manifests (found: {found})")
    brand = declared.brands[0]
    spec = brand.spec
    context = load_context(args.brand_context)
    config = brand_config(context, base_url=str(spec.base_url) if spec.base_url else None,
                          datacenter=spec.datacenter, brand_id=spec.brand_id,
                          requests_per_minute=spec.rate_limit.requests_per_minute, allowlist=allowlist)
    async with brand_session(config) as session:
        return await plan_brand(session, declared, brand)
