"""The preflight against the HTTPS sandbox org: each requirement broken alone fails exactly its check."""

from __future__ import annotations

import pytest

from qxo.salesforce import CHECK_NAMES, RequestLimitExceeded, Requirements, run_preflight

PROFILE_SET = "X00e5g000001QxoIAAS"


def by_name(checks):
    return {c.name: c for c in checks}


async def test_seeded_org_passes_every_check(connection, seed_requirements):
    checks = await run_preflight(connection, seed_requirements)
    assert [c.name for c in checks] == list(CHECK_NAMES)
    assert {c.name: c.result for c in checks} == dict.fromkeys(CHECK_NAMES, "Passed")
    assert "the profile 'Qualtrics Integration'" in by_name(checks)["ApiEnabled"].message


BREAKS = [
    (
        "LoginIpRanges",
        {
            "profiles": {
                "Qualtrics Integration": {"loginIpRanges": [{"start": "162.247.216.0", "end": "162.247.219.255"}]}
            }
        },
        ["139.60.152.0/22", "Login IP Ranges"],
    ),
    (
        "RecordTypes",
        {"recordTypes": {"Case.Support_Case": {"available": False}}},
        ["Case.Support_Case is not available", "Record Type Settings"],
    ),
    (
        "ObjectAccess",
        # Modify All needs View All (Salesforce refuses one without the other), so both go.
        {"permissionSets": {"Qualtrics_Integration": {"objectPermissions": {"Contact": {
            "ViewAllRecords": False, "ModifyAllRecords": False}}}}},
        ["View All, Modify All on Contact", "Object Settings"],
    ),
    (
        "ObjectAccess",
        {"permissionSets": {"Qualtrics_Integration": {"objectPermissions": {"Case": {"Create": False}}}}},
        ["Create on Case"],
    ),
    (
        "FieldAccess",
        {"permissionSets": {"Qualtrics_Integration": {"fieldPermissions": {"Case.Subject": {"Edit": False}}}}},
        ["Edit Access on Case.Subject"],
    ),
    (
        "SessionIpLocking",
        {"sessionSettings": {"lockSessionsToIp": True}},
        ["Lock sessions to the IP address from which they originated", "Session Settings"],
    ),
    ("SessionIpLocking", {"sessionSettings": {"lockSessionsToDomain": True}}, ["Lock sessions to the domain"]),
    (
        "RefreshTokenPolicy",
        {"connectedApps": {"Qualtrics Surveys": {"refreshTokenValidityPeriod": 90}}},
        ["Refresh token is valid until revoked", "Edit Policies"],
    ),
    (
        "PermittedUsers",
        {"connectedApps": {"Qualtrics Surveys": {"optionsAllowAdminApprovedUsersOnly": True}}},
        ["All users may self-authorize"],
    ),
]


@pytest.mark.parametrize(("check", "patch", "fragments"), BREAKS, ids=[f"{b[0]}-{i}" for i, b in enumerate(BREAKS)])
async def test_breaking_one_requirement_fails_exactly_that_check(
    sandbox, connection, seed_requirements, check, patch, fragments
):
    sandbox.patch_org(patch)
    checks = by_name(await run_preflight(connection, seed_requirements))
    assert {n for n, c in checks.items() if c.result != "Passed"} == {check}
    assert checks[check].result == "Failed"
    for fragment in fragments:
        assert fragment in checks[check].message


async def test_api_disabled_fails_api_enabled_and_leaves_the_rest_unknown(sandbox, connection, seed_requirements):
    sandbox.patch_org({"permissionSets": {PROFILE_SET: {"userPermissions": {"ApiEnabled": False}}}})
    checks = by_name(await run_preflight(connection, seed_requirements))
    assert [n for n, c in checks.items() if c.result == "Failed"] == ["ApiEnabled"]
    assert "API Enabled" in checks["ApiEnabled"].message
    assert "System Permissions" in checks["ApiEnabled"].message
    for name in ("Environment", "LoginIpRanges", "ObjectAccess", "FieldAccess", "SessionIpLocking", "PermittedUsers"):
        assert checks[name].result == "Unknown"
        assert "API Enabled" in checks[name].message


async def test_api_enabled_through_a_permission_set_counts(sandbox, connection, seed_requirements):
    sandbox.patch_org(
        {
            "permissionSets": {
                PROFILE_SET: {"userPermissions": {"ApiEnabled": False}},
                "Qualtrics_Integration": {"userPermissions": {"ApiEnabled": True}},
            }
        }
    )
    checks = by_name(await run_preflight(connection, seed_requirements))
    assert checks["ApiEnabled"].result == "Passed"
    assert "Qualtrics_Integration" in checks["ApiEnabled"].message


async def test_without_view_setup_permission_reads_are_unknown_never_passed(sandbox, connection, seed_requirements):
    sandbox.patch_org({"permissionSets": {"Qualtrics_Preflight": {"userPermissions": {"ViewSetup": False}}}})
    checks = by_name(await run_preflight(connection, seed_requirements))
    unknown = {n for n, c in checks.items() if c.result == "Unknown"}
    # Field access comes from the describe and login ranges from the profile's metadata: neither needs View Setup.
    assert unknown == {"ObjectAccess", "RefreshTokenPolicy", "PermittedUsers"}
    for name in unknown:
        assert "View Setup and Configuration" in checks[name].message
        assert checks[name].needs == "View Setup and Configuration"
    assert not [c for c in checks.values() if c.result == "Failed"]


async def test_without_metadata_permission_session_settings_are_unknown(sandbox, connection, seed_requirements):
    sandbox.patch_org({"permissionSets": {"Qualtrics_Preflight": {"userPermissions": {"ModifyMetadata": False}}}})
    checks = by_name(await run_preflight(connection, seed_requirements))
    assert {n for n, c in checks.items() if c.result != "Passed"} == {"SessionIpLocking", "LoginIpRanges"}
    for name in ("SessionIpLocking", "LoginIpRanges"):
        assert checks[name].result == "Unknown"
        assert "Modify Metadata Through Metadata API Functions" in checks[name].message


async def test_regional_ranges_must_be_covered_too(connection, seed_requirements):
    checks = by_name(await run_preflight(connection, seed_requirements, additional_ranges=("23.85.28.0/24",)))
    assert checks["LoginIpRanges"].result == "Failed"
    assert "23.85.28.0/24" in checks["LoginIpRanges"].message


async def test_a_profile_without_login_ranges_passes(sandbox, connection, seed_requirements):
    sandbox.patch_org({"profiles": {"Qualtrics Integration": {"loginIpRanges": []}}})
    checks = by_name(await run_preflight(connection, seed_requirements, additional_ranges=("23.85.28.0/24",)))
    assert checks["LoginIpRanges"].result == "Passed"
    assert "no login IP ranges" in checks["LoginIpRanges"].message


async def test_modify_all_data_implies_every_object_access(sandbox, connection, seed_requirements):
    sandbox.patch_org(
        {
            "permissionSets": {
                "Qualtrics_Integration": {
                    "objectPermissions": {"Contact": {"ViewAllRecords": False, "ModifyAllRecords": False}},
                    "userPermissions": {"ModifyAllData": True},
                }
            }
        }
    )
    checks = by_name(await run_preflight(connection, seed_requirements))
    assert checks["ObjectAccess"].result == "Passed"


async def test_missing_record_type_and_inaccessible_object(connection):
    from qxo.salesforce import RecordTypeRequirement

    requirements = Requirements(
        record_types=(RecordTypeRequirement("Case", "Nope"), RecordTypeRequirement("Invoice__c", "Standard"))
    )
    check = by_name(await run_preflight(connection, requirements))["RecordTypes"]
    assert check.result == "Failed"
    assert "Case.Nope does not exist" in check.message
    assert "Invoice__c is not an object" in check.message


async def test_unknown_connected_app_is_unknown(connection, seed_requirements):
    requirements = Requirements(seed_requirements.objects, connected_app="Some Other App")
    checks = by_name(await run_preflight(connection, requirements))
    assert checks["RefreshTokenPolicy"].result == "Unknown"
    assert "Some Other App" in checks["PermittedUsers"].message


async def test_request_limit_exceeded_is_raised_after_retries(sandbox, connection, seed_requirements):
    sandbox.patch_org({"knobs": {"requestLimitExceeded": True}})
    with pytest.raises(RequestLimitExceeded):
        await run_preflight(connection, seed_requirements)
