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
    parser.add_argument("--policy", action="extend", nargs="+", metavar="FILE", default=None,
                        help="ExtensionPolicy and ClusterQualtricsBrand manifests (files or directories) to check the "
                             "objects against, as admission and the operator would (docs/tenancy.md)")
    parser.add_argument("--namespace-labels", action="append", default=[], metavar="NS=KEY=VALUE",
                        help="a label of a namespace not given as a Namespace document, for the policies' and brands' "
                             "namespaceSelectors (repeatable)")
    add_allow_endpoint(parser)
    parser.set_defaults(func=run, _parser=parser)


def run(args: argparse.Namespace) -> int:
    from qxo.api.tenancy_checks import parse_namespace_labels
    from qxo.api.validation import validate_paths

    try:
        labels = parse_namespace_labels(args.namespace_labels)
    except ValueError as error:
        args._parser.error(str(error))
    if labels and args.policy is None:
        args._parser.error("--namespace-labels applies only with --policy")
    report = validate_paths(args.paths, allowlist_from(args, args._parser), policy_paths=args.policy,
                            namespace_labels=labels)
    if args.output == "json":
        json.dump(report.as_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for problem in report.problems:
            print(problem.display())
    return 0 if report.valid else 1
