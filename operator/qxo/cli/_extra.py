"""Subcommands whose code an installation may leave out: the operator image has no sandboxes and no demo."""

from __future__ import annotations

import argparse
import importlib.util
import sys


def installed(module: str) -> bool:
    """Whether `module` (e.g. qxo.sandbox) is part of this installation."""
    return importlib.util.find_spec(module) is not None


def stand_in(parser: argparse.ArgumentParser, module: str) -> None:
    """Make `parser` explain that `module` is not installed here, whatever arguments follow."""

    def explain(_args: argparse.Namespace) -> int:
        print(f"qxo {parser.prog.split()[-1]}: {module} is not part of this installation (the operator image "
              "leaves the sandboxes and the demo out); run it from a source checkout: make demo", file=sys.stderr)
        return 2

    # Whatever options follow belong to a command that is not here: take them all, so the
    # explanation is what the user sees rather than "unrecognized arguments".
    parser.parse_known_args = lambda args=None, namespace=None: (argparse.Namespace(func=explain), [])
