"""`qxo validate PATH...`: offline validation of manifests (schema, CEL and qxo's semantic checks)."""

from __future__ import annotations

import argparse
import json
import sys

from qxo.cli._allowlist import add_allow_endpoint, allowlist_from


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate manifests offline against qxo's CRDs, CEL rules and semantic checks",
        description="Validate qxo manifests offline: files or directories (recursively, *.yaml and *.yml), "
                    "multi-document YAML. Exit 0 when there are no errors, 1 otherwise.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a manifest file or a directory of them")
    parser.add_argument("--output", "-o", choices=("text", "json"), default="text",
                        help="text: one problem per line (default); json: {valid, problems}")
    add_allow_endpoint(parser)
    parser.set_defaults(func=run, _parser=parser)


def run(args: argparse.Namespace) -> int:
    from qxo.api.validation import validate_paths

    report = validate_paths(args.paths, allowlist_from(args, args._parser))
    if args.output == "json":
        json.dump(report.as_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in report.problems:
            print(problem.display())
    return 0 if report.valid else 1
