"""The whole table: every area's cases, in one list with unique names."""

from __future__ import annotations

import cases_deletion

AREAS = {
    "deletion": cases_deletion.CASES,
}
CASES = [case for cases in AREAS.values() for case in cases]
