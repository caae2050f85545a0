"""The `qxo` command line: each subcommand lives in its own module beside this one.

A module `qxo.cli.<name>` that defines `register(subparsers)` adds the subcommand
`<name>`; `register` sets `func` on its parser to a callable taking the parsed
arguments and returning the exit code. Discovery keeps this file free of a list that
every new command would have to edit.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import qxo


def build_parser(prog: str = "qxo") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Qualtrics eXtensions Operator: manage a brand's extension administration as code.",
    )
    parser.add_argument("--version", action="version", version=f"qxo {qxo.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None, prog: str = "qxo") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    return int(func(args) or 0)


def kubectl_plugin() -> int:
    """`kubectl qxo ...`: kubectl runs `kubectl-qxo` from the PATH with the rest of the command line."""
    return main(prog="kubectl qxo")
