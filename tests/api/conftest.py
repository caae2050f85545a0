"""Fixtures of the API tests."""

from __future__ import annotations

import pytest
import yaml
from api_support import EXAMPLES


@pytest.fixture
def example_documents() -> dict[tuple[str, str], dict]:
    """Every example document by (kind, name)."""
    documents = {}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for body in yaml.safe_load_all(path.read_text()):
            if body:
                documents[(body["kind"], body["metadata"]["name"])] = body
    return documents
