"""The whole table: every area's cases, in one list with unique names."""

from __future__ import annotations

AREAS: dict[str, list] = {}
CASES = [case for cases in AREAS.values() for case in cases]
