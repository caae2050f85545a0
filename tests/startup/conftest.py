"""Start-up tests: which modules a fresh interpreter loads to do one thing, seen from a subprocess.

A subprocess because this pytest process has long since imported everything; only a fresh
interpreter shows what `qxo operator` or `qxo --help` really pay for at start.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest

REPORT = "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"


def _loaded_by(code: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", code + REPORT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.fixture
def modules_loaded_by() -> Callable[[str], set[str]]:
    """The names in sys.modules after a fresh interpreter ran `code`."""
    return _loaded_by

