"""The operator's garbage collector: larger thresholds, and the imports frozen out of every collection."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from qxo.cli.operator import GC_THRESHOLDS, collect_garbage_in_bulk
before = gc.get_threshold()
collect_garbage_in_bulk()
print(json.dumps({"before": before, "after": gc.get_threshold(), "wanted": GC_THRESHOLDS,
                  "frozen": gc.get_freeze_count()}))
"""


def test_the_operator_collects_in_bulk_and_never_walks_its_imports_again():
    # A process of its own: the thresholds are the interpreter's, and pytest's must stay as they are.
    result = json.loads(subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                                       check=True).stdout)
    assert result["before"] == [700, 10, 10]
    assert result["after"] == list(result["wanted"])
    assert result["after"][0] > 10 * result["before"][0] and result["after"][2] > result["before"][2]
    assert result["frozen"] > 10_000  # kopf, pydantic's schemas, the kubernetes client's models
