"""`qxo demo [--json] [--keep] [--workdir DIR]`: qxo's whole job on the embedded sandboxes, nothing to set up."""

from __future__ import annotations

import argparse

from qxo.cli._extra import installed, stand_in


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the sandboxes and the operator on examples/: converge, drift, rotation, uninstall",
        description="Start the kube, brand and Salesforce sandboxes and the operator, apply crds/ and examples/, "
        "and show qxo converging them, correcting drift, rotating credentials and uninstalling. "
        "Everything runs locally and stops at the end; the sandboxes are for trying qxo only.",
    )
    if not installed("qxo.demo"):
        stand_in(parser, "qxo.demo")
        return
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document with the results on stdout (progress stays on stderr)")
    parser.add_argument("--keep", action="store_true",
                        help="stay up after the steps, with the kubectl lines to explore, until Ctrl-C or SIGTERM")
    parser.add_argument("--workdir", metavar="DIR", default=None,
                        help="keep kubeconfig, credentials and logs here (default: a temporary directory, "
                        "removed at exit unless --keep)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from qxo.demo.run import run as run_demo

    return run_demo(as_json=args.json, keep=args.keep, workdir=args.workdir)
