"""The one `qxo demo --json --keep` run the end-to-end tests share (a demo takes half a minute)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from demokit import DemoRun, wait_until


@pytest.fixture(scope="module")
def kept_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """One `qxo demo --json --keep` run shared by the module: the document, then exploring, then Ctrl-C."""
    run = DemoRun(tmp_path_factory.mktemp("demo") / "work", "--json", "--keep")
    try:
        wait_until(lambda: "--keep: everything stays up" in run.stderr or run.process.poll() is not None,
                   "the demo to finish its steps", timeout=180)
        yield run
    finally:
        if run.process.poll() is None:
            run.interrupt()
        run.kill_everything()
