"""The catalog snapshot matches the seed page's list and its rules."""

from pathlib import Path

import pytest

from qxo.api.catalog import BY_ID, CATALOG

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "extensions-administration.txt"


def test_catalog_has_the_32_extensions_of_the_seed_page_with_unique_ids():
    assert len(CATALOG) == 32
    assert len(BY_ID) == 32


def test_catalog_names_are_the_seed_page_names():
    if not SEED.exists():
        pytest.skip("shared/seeds is not beside this clone")
    listed = {line[2:].strip() for line in SEED.read_text().splitlines() if line.startswith("- ")}
    assert {entry.name for entry in CATALOG} <= listed


def test_only_third_party_extensions_are_ever_preview():
    assert all(not entry.first_party for entry in CATALOG if entry.preview)


def test_seed_first_party_examples_are_by_qualtrics_and_webservice_allows_domain_edits():
    for extension_id in ("servicenow", "google-sheets", "salesforce", "webservice"):
        assert BY_ID[extension_id].first_party
    assert BY_ID["webservice"].domains_editable


def test_default_domains_are_https():
    assert all(domain.startswith("https://") for entry in CATALOG for domain in entry.default_domains)
