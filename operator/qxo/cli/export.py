"""`qxo export`: the live brand's installs, accounts and grants as manifests ready to commit and adopt."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from qxo.cli._allowlist import add_allow_endpoint, allowlist_from


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the live brand as qxo manifests ready for adoption (never a credential value)",
        description="Read the brand named by the brand context and print (or write under -o DIR, one file per "
                    "kind) its QualtricsBrand, installs, accounts (with Secret placeholders to fill and "
                    "qxo.dev/external-id for adoption) and grants. Reads only.",
    )
    parser.add_argument("--brand-context", metavar="FILE",
                        help="JSON with base_url (or datacenter), brand_id and token; the token may instead come "
                             "from QXO_BRAND_TOKEN")
    parser.add_argument("--namespace", default="qxo", help="namespace of the exported objects (default: qxo)")
    parser.add_argument("--brand-name", help="name of the QualtricsBrand object (default: a slug of the brand id)")
    parser.add_argument("-o", "--output-dir", metavar="DIR", help="write 00-brand.yaml, 10-installs.yaml, ... here "
                                                                  "instead of printing one stream")
    add_allow_endpoint(parser)
    parser.set_defaults(func=run, _parser=parser)


def run(args: argparse.Namespace) -> int:
    from qxo.gitops.context import GitopsError

    allowlist = allowlist_from(args, args._parser)
    try:
        brand_id, export = asyncio.run(_export(args, allowlist))
    except GitopsError as error:
        print(f"qxo export: {error}", file=sys.stderr)
        return 1
    for warning in export.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.output_dir:
        for path in export.write(Path(args.output_dir), brand_id):
            print(f"wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(export.stream(brand_id))
    return 0


async def _export(args: argparse.Namespace, allowlist):
    from qxo.gitops.context import GitopsError, brand_config, brand_session, load_context
    from qxo.gitops.exporter import export_brand, is_label, slug

    context = load_context(args.brand_context)
    if not context.brand_id or not context.root_url():
        raise GitopsError("--brand-context: export needs base_url (or datacenter) and brand_id")
    if not is_label(args.namespace):
        raise GitopsError(f"--namespace: {args.namespace!r} is not a lowercase RFC 1123 label")
    brand_name = args.brand_name or slug(context.brand_id)
    if not is_label(brand_name):
        raise GitopsError(f"--brand-name: {brand_name!r} is not a lowercase RFC 1123 label")
    config = brand_config(context, base_url=context.base_url, datacenter=context.datacenter,
                          brand_id=context.brand_id, allowlist=allowlist, from_context=True)
    async with brand_session(config) as session:
        return context.brand_id, await export_brand(session, namespace=args.namespace, brand_name=brand_name)
