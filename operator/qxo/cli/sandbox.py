"""`qxo sandbox kube|brand|salesforce`: start one sandbox alone.

Each sandbox package `qxo.sandbox.<name>` that has a module `cli` with
`register(subparsers)` becomes `qxo sandbox <name>`. An installation without `qxo.sandbox`
(the operator image) keeps the command, which then says so.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil

from qxo.cli._extra import installed, stand_in


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run one sandbox (kube, brand or salesforce) for trying and testing qxo",
        description="Run one of qxo's sandboxes: real HTTP servers for trying and testing qxo, never for production.",
    )
    if not installed("qxo.sandbox"):
        stand_in(parser, "qxo.sandbox")
        return
    import qxo.sandbox

    kinds = parser.add_subparsers(dest="sandbox", metavar="SANDBOX", required=True)
    for module_info in sorted(pkgutil.iter_modules(qxo.sandbox.__path__), key=lambda m: m.name):
        if not module_info.ispkg:
            continue
        try:
            cli = importlib.import_module(f"qxo.sandbox.{module_info.name}.cli")
        except ModuleNotFoundError as error:
            if error.name != f"qxo.sandbox.{module_info.name}.cli":
                raise
            continue
        cli.register(kinds)
