"""Reads what the checks need from the org as the integration user, then runs every named check.

Reads that the user's permissions refuse become `Unreadable` facts (so their checks are
`Unknown` and say which permission would let them run); transport, session and limit failures
propagate, because then no check can be trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Iterable

from qxo.salesforce.checks import (
    METADATA_READ,
    VIEW_SETUP,
    Check,
    Facts,
    Unreadable,
    check_api_enabled,
    check_login_ip_ranges,
    check_object_access,
    check_permitted_users,
    check_record_types,
    check_refresh_token_policy,
    check_session_ip_locking,
)
from qxo.salesforce.connection import METADATA_NS, SalesforceConnection
from qxo.salesforce.errors import SalesforceApiError, SessionExpired
from qxo.salesforce.field_access import check_environment, check_field_access
from qxo.salesforce.ipranges import QUALTRICS_RANGES, parse_cidr
from qxo.salesforce.requirements import Requirements
from qxo.salesforce.soql import soql, soql_literal

__all__ = ["CHECK_NAMES", "gather_facts", "run_preflight", "soql", "soql_literal"]

log = logging.getLogger("qxo.salesforce.preflight")
CHECK_NAMES = (
    "Environment",
    "ApiEnabled",
    "LoginIpRanges",
    "RecordTypes",
    "ObjectAccess",
    "FieldAccess",
    "SessionIpLocking",
    "RefreshTokenPolicy",
    "PermittedUsers",
)


async def _read(what: str, needs: str, call: Awaitable):
    try:
        return await call
    except SessionExpired:
        raise
    except SalesforceApiError as error:
        log.info("preflight could not read %s: %s", what, error.error_code)
        return Unreadable(what, error.error_code, needs)


async def gather_facts(connection: SalesforceConnection, requirements: Requirements) -> Facts:
    info = await connection.userinfo()
    user_id = info["user_id"]
    facts = Facts(username=info.get("preferred_username") or user_id)
    facts.organization = await _read(
        "the Organization record", "API Enabled",
        connection.query("SELECT Id, Name, IsSandbox, OrganizationType, InstanceName FROM Organization"))
    users = await _read(
        "the user record", "API Enabled", connection.query(soql("Id, Username, ProfileId", "User", Id=user_id))
    )
    if isinstance(users, Unreadable) or not users:
        facts.profile = users if users else Unreadable("the user record", "NOT_FOUND", VIEW_SETUP)
    else:
        profile_id = users[0]["ProfileId"]
        profiles = await _read(
            "the user's profile", VIEW_SETUP, connection.query(soql("Id, Name", "Profile", Id=profile_id))
        )
        if isinstance(profiles, list):
            profiles = profiles[0] if profiles else {"Id": profile_id, "Name": profile_id}
        facts.profile = profiles
        if isinstance(profiles, dict):
            facts.login_ip_ranges = await _read(
                "the profile's Login IP Ranges (Metadata API Profile)", METADATA_READ,
                _login_ip_ranges(connection, profiles["Name"]))
    await _gather_permissions(connection, requirements, facts, user_id)
    wanted = [*(rt.object for rt in requirements.record_types), *(f.object for f in requirements.fields)]
    for sobject in dict.fromkeys(wanted):
        facts.describes[sobject] = await _read(f"the {sobject} describe", f"Read on {sobject}",
                                               connection.describe(sobject))
    facts.session_settings = await _read(
        "Session Settings (Metadata API SecuritySettings)", METADATA_READ, _session_settings(connection)
    )
    app_fields = (
        "Id, Name, OptionsAllowAdminApprovedUsersOnly, RefreshTokenValidityPeriod, OptionsRefreshTokenValidityMetric"
    )
    facts.connected_apps = await _read(
        "the connected app's OAuth policies (ConnectedApplication)",
        VIEW_SETUP,
        connection.query(soql(app_fields, "ConnectedApplication", Name=requirements.connected_app)),
    )
    return facts


async def _gather_permissions(connection, requirements: Requirements, facts: Facts, user_id: str) -> None:
    what = "the user's permission sets (PermissionSetAssignment)"
    assignments = await _read(
        what, VIEW_SETUP, connection.query(soql("PermissionSetId", "PermissionSetAssignment", AssigneeId=user_id))
    )
    if isinstance(assignments, Unreadable):
        facts.permission_sets = facts.object_permissions = facts.field_permissions = assignments
        return
    # The profile's own permission set is among the assignments, so this covers profile and sets alike.
    ids = sorted({a["PermissionSetId"] for a in assignments}) or ["000000000000000AAA"]
    facts.permission_sets = await _read(
        "PermissionSet",
        VIEW_SETUP,
        connection.query(
            soql(
                "Id, Name, IsOwnedByProfile, ProfileId, PermissionsApiEnabled, PermissionsViewAllData, "
                "PermissionsModifyAllData",
                "PermissionSet",
                Id=ids,
            )
        ),
    )
    if requirements.objects:
        facts.object_permissions = await _read(
            "ObjectPermissions",
            VIEW_SETUP,
            connection.query(
                soql(
                    "ParentId, SobjectType, PermissionsRead, PermissionsCreate, PermissionsEdit, PermissionsDelete, "
                    "PermissionsViewAllRecords, PermissionsModifyAllRecords",
                    "ObjectPermissions",
                    ParentId=ids,
                    SobjectType=sorted({o.name for o in requirements.objects}),
                )
            ),
        )
    if requirements.fields:
        # Only to name which permission set grants a permissionable field: the describe decides access.
        facts.field_permissions = await _read(
            "FieldPermissions",
            VIEW_SETUP,
            connection.query(
                soql(
                    "ParentId, SobjectType, Field, PermissionsRead, PermissionsEdit",
                    "FieldPermissions",
                    ParentId=ids,
                    Field=sorted({f.qualified for f in requirements.fields}),
                )
            ),
        )


def _metadata_text(record, name: str) -> str:
    return (record.findtext(f"{{{METADATA_NS}}}{name}") or "").strip()


async def _login_ip_ranges(connection: SalesforceConnection, profile_name: str) -> list[tuple[str, str]] | None:
    """The profile's login IP ranges from its metadata (ProfileLoginIpRange), or None when no such profile."""
    record = await connection.read_metadata("Profile", profile_name)
    if record is None:
        return None
    return [(_metadata_text(r, "startAddress"), _metadata_text(r, "endAddress"))
            for r in record.findall(f"{{{METADATA_NS}}}loginIpRanges")]


async def _session_settings(connection: SalesforceConnection) -> dict | None:
    record = await connection.read_metadata("SecuritySettings", "Security")
    if record is None:
        return None
    session = record.find(f"{{{METADATA_NS}}}sessionSettings")

    def flag(name: str) -> bool:
        return session is not None and _metadata_text(session, name) == "true"

    return {"lockSessionsToIp": flag("lockSessionsToIp"), "lockSessionsToDomain": flag("lockSessionsToDomain")}


async def run_preflight(
    connection: SalesforceConnection,
    requirements: Requirements,
    qualtrics_ranges: Iterable[str] = QUALTRICS_RANGES,
    additional_ranges: Iterable[str] = (),
) -> list[Check]:
    """Every named check, in CHECK_NAMES order, each Passed, Failed or Unknown with an actionable message.

    Environment compares the connection's declared environment with the org it reached."""
    required = [str(parse_cidr(c, "qualtricsRanges")) for c in qualtrics_ranges]
    required += [str(parse_cidr(c, "additionalLoginIPRanges")) for c in additional_ranges]
    facts = await gather_facts(connection, requirements)
    return [
        check_environment(facts, connection.settings.environment),
        check_api_enabled(facts),
        check_login_ip_ranges(facts, required),
        check_record_types(facts, requirements),
        check_object_access(facts, requirements),
        check_field_access(facts, requirements),
        check_session_ip_locking(facts),
        check_refresh_token_policy(facts, requirements),
        check_permitted_users(facts, requirements),
    ]
