"""The whole table: every area's cases, in one list with unique names."""

from __future__ import annotations

import cases_admission
import cases_crds
import cases_deletion
import cases_discovery
import cases_lists
import cases_objects
import cases_patches
import cases_status
import cases_tables
import cases_watch

AREAS = {
    "objects": cases_objects.CASES,
    "status and generation": cases_status.CASES,
    "deletion": cases_deletion.CASES,
    "patches": cases_patches.CASES,
    "lists": cases_lists.CASES,
    "watches": cases_watch.CASES,
    "tables": cases_tables.CASES,
    "discovery and OpenAPI": cases_discovery.CASES,
    "CRDs": cases_crds.CASES,
    "admission": cases_admission.CASES,
}
CASES = [case for cases in AREAS.values() for case in cases]
