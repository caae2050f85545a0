"""Fixtures of the admission tests: one compiled Admitter per session and a fresh valid object per test."""

import copy

import pytest
from admissionkit import SCHEMA, VALID

from qxo.admission import Admitter


@pytest.fixture(scope="session")
def admitter() -> Admitter:
    return Admitter(SCHEMA)


@pytest.fixture
def valid() -> dict:
    return copy.deepcopy(VALID)
