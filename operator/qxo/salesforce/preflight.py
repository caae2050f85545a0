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
    check_field_access,
    check_login_ip_ranges,
    check_object_access,
    check_permitted_users,
    check_record_types,
    check_refresh_token_policy,
    check_session_ip_locking,
)
from qxo.salesforce.connection import METADATA_NS, SalesforceConnection
from qxo.salesforce.errors import SalesforceApiError, SessionExpired
from qxo.salesforce.ipranges import QUALTRICS_RANGES, parse_cidr
from qxo.salesforce.requirements import Requirements

log = logging.getLogger("qxo.salesforce.preflight")
CHECK_NAMES = (
    "ApiEnabled",
    "LoginIpRanges",
    "RecordTypes",
    "ObjectAccess",
    "FieldAccess",
    "SessionIpLocking",
    "RefreshTokenPolicy",
    "PermittedUsers",
)


def soql_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def soql(fields: str, sobject: str, **where: str | Iterable[str]) -> str:
    """SELECT fields FROM sobject WHERE a = 'x' AND b IN ('y', 'z'), every value quoted by soql_literal."""
    clauses = [
        f"{name} = {soql_literal(value)}"
        if isinstance(value, str)
        else f"{name} IN ({', '.join(soql_literal(v) for v in value)})"
        for name, value in where.items()
    ]
    # Values are escaped literals and names are our own constants, so this is no injection vector.
    text = f"SELECT {fields} FROM {sobject}"  # noqa: S608
    return text + (" WHERE " + " AND ".join(clauses) if clauses else "")


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
        facts.login_ip_ranges = await _read(
            "the profile's login IP ranges (LoginIpRange)",
            VIEW_SETUP,
            connection.query(soql("StartAddress, EndAddress", "LoginIpRange", ProfileId=profile_id)),
        )
    await _gather_permissions(connection, requirements, facts, user_id)
    for rt in requirements.record_types:
        if rt.object not in facts.describes:
            facts.describes[rt.object] = await _read(
                f"the {rt.object} describe", f"Read on {rt.object}", connection.describe(rt.object)
            )
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


async def _session_settings(connection: SalesforceConnection) -> dict | None:
    record = await connection.read_metadata("SecuritySettings", "Security")
    if record is None:
        return None
    session = record.find(f"{{{METADATA_NS}}}sessionSettings")

    def flag(name: str) -> bool:
        return session is not None and (session.findtext(f"{{{METADATA_NS}}}{name}") or "").strip() == "true"

    return {"lockSessionsToIp": flag("lockSessionsToIp"), "lockSessionsToDomain": flag("lockSessionsToDomain")}


async def run_preflight(
    connection: SalesforceConnection,
    requirements: Requirements,
    qualtrics_ranges: Iterable[str] = QUALTRICS_RANGES,
    additional_ranges: Iterable[str] = (),
) -> list[Check]:
    """Every named check, in CHECK_NAMES order, each Passed, Failed or Unknown with an actionable message."""
    required = [str(parse_cidr(c, "qualtricsRanges")) for c in qualtrics_ranges]
    required += [str(parse_cidr(c, "additionalLoginIPRanges")) for c in additional_ranges]
    facts = await gather_facts(connection, requirements)
    return [
        check_api_enabled(facts),
        check_login_ip_ranges(facts, required),
        check_record_types(facts, requirements),
        check_object_access(facts, requirements),
        check_field_access(facts, requirements),
        check_session_ip_locking(facts),
        check_refresh_token_policy(facts, requirements),
        check_permitted_users(facts, requirements),
    ]
