"""Fixtures for the brand client's pacing tests: the virtual clock the buckets and loops share."""

from __future__ import annotations

import pytest
from pacekit import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()
