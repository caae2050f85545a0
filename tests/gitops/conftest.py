"""Fixtures for the plan and export tests; helpers live in gitopskit (a unique name beside other areas' tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gitopskit import Brand

from qxo.sandbox.brand import BrandSandbox


@pytest.fixture
def brand(tmp_path: Path) -> Iterator[Brand]:
    with BrandSandbox.run_in_thread(str(tmp_path / "brand.db")) as sandbox:
        yield Brand(sandbox, tmp_path)
