"""The tenancy scenarios (test_tenancy.py) on the real control plane: the shipped admission policies refuse at
the real API server, and the operator runs as its ServiceAccount with the default install's RBAC plus the
tenant overlays of the two team namespaces, reading the brand token in its own namespace only."""

from __future__ import annotations

import pytest
import test_tenancy as tenancy_scenarios
from test_tenancy import tenancy  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCENARIOS = [
    tenancy_scenarios.test_two_teams_share_one_brand_without_seeing_its_token,
    tenancy_scenarios.test_a_forbidden_request_is_refused_in_three_places_naming_the_same_rule,
    tenancy_scenarios.test_a_namespace_outside_the_brands_selector_cannot_use_it,
    tenancy_scenarios.test_a_team_cannot_change_another_teams_account_or_the_platforms_install,
    tenancy_scenarios.test_a_policy_or_label_change_is_enforced_on_objects_already_there,
    tenancy_scenarios.test_a_cluster_brand_reads_credentials_only_where_the_operators_administrator_allows,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.__name__.removeprefix("test_"))
def test_scenario(tenancy, scenario):  # noqa: F811
    scenario(tenancy)
