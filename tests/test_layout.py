"""The project's shape: the package, its command line and the layers DESIGN.md fixes."""

import operator
import subprocess
import sys
from pathlib import Path

import qxo
from qxo.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def test_operator_directory_never_shadows_the_standard_library():
    # `operator/` holds the package; it must never be importable itself.
    assert not (ROOT / "operator" / "__init__.py").exists()
    assert hasattr(operator, "itemgetter")
    assert Path(qxo.__file__).parent == ROOT / "operator" / "qxo"


def test_command_line_lists_its_subcommands():
    help_text = build_parser().format_help()
    assert "sandbox" in help_text


def test_qxo_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "qxo", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.strip() == f"qxo {qxo.__version__}"


def test_ci_calls_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
