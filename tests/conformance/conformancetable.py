"""The whole table: every area's cases, in one list with unique names."""

from __future__ import annotations

import cases_deletion
import cases_discovery
import cases_patches

AREAS = {
    "deletion": cases_deletion.CASES,
    "patches": cases_patches.CASES,
    "discovery and OpenAPI": cases_discovery.CASES,
}
CASES = [case for cases in AREAS.values() for case in cases]
