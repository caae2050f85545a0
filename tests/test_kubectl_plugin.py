"""`kubectl qxo ...`: the kubectl-qxo entry point, found and run by the real kubectl from the PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def kubectl(*args: str) -> subprocess.CompletedProcess:
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is required: the plugin test runs it")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_the_package_installs_kubectl_qxo_beside_qxo():
    assert (BIN / "kubectl-qxo").is_file() and os.access(BIN / "kubectl-qxo", os.X_OK)


def test_kubectl_lists_the_plugin():
    listed = kubectl("plugin", "list")
    assert str(BIN / "kubectl-qxo") in listed.stdout


def test_kubectl_qxo_speaks_as_a_kubectl_command():
    result = kubectl("qxo", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: kubectl qxo")
    for command in ("validate", "plan", "export", "doctor"):
        assert command in result.stdout


def test_kubectl_qxo_validate_passes_the_examples_and_names_a_bad_field():
    assert kubectl("qxo", "validate", "examples/").returncode == 0
    bad = kubectl("qxo", "validate", "tests/fixtures/malformed/install-domain-http.yaml")
    assert bad.returncode == 1
    assert "spec.domains[0]" in bad.stdout + bad.stderr


@pytest.mark.parametrize("command", ["plan", "export", "doctor"])
def test_kubectl_qxo_reaches_each_subcommand(command):
    result = kubectl("qxo", command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: kubectl qxo {command}")
