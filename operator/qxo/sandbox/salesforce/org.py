"""The sandbox orgs as JSON-able dicts: their seed, the rules a patched org must keep, and who may do what.

Keyed by name wherever a test wants to break one thing (`permissionSets.<name>.objectPermissions.
Contact.ViewAllRecords: false`), so a JSON merge patch (RFC 7386) through `/_sandbox/org` can. The
rules `validate` enforces are Salesforce's own, from its object reference:

- ObjectPermissions: Modify All needs Read, Edit, Delete and View All; View All, Edit and Create need
  Read; Delete needs Read and Edit (the field descriptions of
  https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-objectpermissions.html).
- FieldPermissions: Edit needs Read, a row needs at least Read, and fields that are not permissionable
  (Id, audit fields, required fields) have no rows at all
  (https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-fieldpermissions.html).
"""

from __future__ import annotations

import copy

from qxo.sandbox.salesforce.sobjects import field_defs, is_permissionable, seed_sobjects

OBJECT_FLAGS = ("Read", "Create", "Edit", "Delete", "ViewAllRecords", "ModifyAllRecords", "ViewAllFields")
FIELD_FLAGS = ("Read", "Edit")
# What each object permission needs switched on with it (ObjectPermissions field descriptions).
OBJECT_DEPENDENCIES = {
    "Create": ("Read",),
    "Edit": ("Read",),
    "Delete": ("Read", "Edit"),
    "ViewAllRecords": ("Read",),
    "ModifyAllRecords": ("Read", "Edit", "Delete", "ViewAllRecords"),
    "ViewAllFields": ("Read",),
}
PROFILE_NAME = "Qualtrics Integration"
PRODUCTION_ORG_ID = "00D5g000004AcmPEAC"


def _objects(**grants: str) -> dict:
    return {name: {flag: flag in granted.split() for flag in OBJECT_FLAGS} for name, granted in grants.items()}


def default_org() -> dict:
    """A Sandbox org (Organization.IsSandbox) whose integration user passes every preflight check for the
    seed's requirements and examples/; `production_org` derives its Production twin."""
    return {
        "organizationId": "00D5g000004AcmeEAC",
        "organizationName": "Acme",
        "isSandbox": True,
        "organizationType": "Enterprise Edition",
        "instanceName": "CS224",
        "user": {
            "id": "0055g00000QxoIntAAB",
            "username": "qualtrics.integration@acme.example",
            "name": "Qualtrics Integration",
            "profile": PROFILE_NAME,
            "permissionSets": ["Qualtrics_Integration", "Qualtrics_Preflight"],
        },
        "profiles": {
            PROFILE_NAME: {
                "id": "00e5g000001QxoIAAS",
                "userLicense": "Salesforce",
                "loginIpRanges": [
                    {"start": "162.247.216.0", "end": "162.247.219.255"},
                    {"start": "139.60.152.0", "end": "139.60.155.255"},
                    # The regional range examples/ declares in additionalLoginIPRanges.
                    {"start": "203.0.113.0", "end": "203.0.113.255"},
                ],
            },
        },
        "permissionSets": {
            "X00e5g000001QxoIAAS": {
                "id": "0PS5g000000PrfAAAS",
                "label": "Profile: Qualtrics Integration",
                "profile": PROFILE_NAME,
                "userPermissions": {"ApiEnabled": True},
                "objectPermissions": _objects(Contact="Read", Case="Read", Account="Read"),
                "fieldPermissions": {"Contact.Email": {"Read": True, "Edit": False}},
            },
            "Qualtrics_Integration": {
                "id": "0PS5g000000IntAAAS",
                "label": "Qualtrics Integration",
                "userPermissions": {},
                "objectPermissions": _objects(
                    Contact="Read Create Edit Delete ViewAllRecords ModifyAllRecords",
                    Case="Read Create Edit",
                    Account="Read ViewAllRecords",
                ),
                # Account.Name is required, so Salesforce treats it as always readable and writable: no row.
                "fieldPermissions": {
                    "Contact.Email": {"Read": True, "Edit": True},
                    "Contact.Survey_Score__c": {"Read": True, "Edit": True},
                    "Contact.Score_Band__c": {"Read": True, "Edit": False},
                    "Case.Subject": {"Read": True, "Edit": True},
                    "Account.Industry": {"Read": True, "Edit": False},
                },
            },
            "Qualtrics_Preflight": {
                "id": "0PS5g000000PreAAAS",
                "label": "Qualtrics Preflight Reader",
                "userPermissions": {"ViewSetup": True, "ModifyMetadata": True},
                "objectPermissions": {},
                "fieldPermissions": {},
            },
        },
        "sobjects": seed_sobjects(),
        "recordTypes": {
            "Case.Support_Case": {
                "id": "0125g000000SupAAAS",
                "name": "Support Case",
                "active": True,
                "available": True,
            },
            "Case.Internal_Case": {
                "id": "0125g000000IntAAAS",
                "name": "Internal Case",
                "active": True,
                "available": False,
            },
        },
        "sessionSettings": {"lockSessionsToIp": False, "lockSessionsToDomain": False},
        "connectedApps": {
            "Qualtrics Surveys": {
                "id": "0H45g000000QxoAAAA",
                "optionsAllowAdminApprovedUsersOnly": False,
                "refreshTokenValidityPeriod": None,
                "optionsRefreshTokenValidityMetric": False,
            },
        },
        "limits": {"DailyApiRequests": 15000},
        "knobs": {
            "requestLimitExceeded": False,
            "tamperSignature": False,
            "tokenEndpointFailures": 0,
            "tokenLifetimeSeconds": 3600,
        },
    }


def production_org(org: dict) -> dict:
    """The Production twin of a seeded org: the same setup, its own organization id and user, IsSandbox false."""
    twin = copy.deepcopy(org)
    twin.update(organizationId=PRODUCTION_ORG_ID, isSandbox=False, instanceName="NA224")
    twin["user"] = {**twin["user"], "id": "0055g00000QxoPrdAAB"}
    return twin


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def validate(org: dict) -> None:
    """Raise ValueError naming the field when a patched org breaks its shape or one of Salesforce's rules."""
    for key, kind in (
        ("user", dict),
        ("profiles", dict),
        ("permissionSets", dict),
        ("sobjects", dict),
        ("recordTypes", dict),
        ("sessionSettings", dict),
        ("connectedApps", dict),
        ("knobs", dict),
    ):
        _require(isinstance(org.get(key), kind), f"{key}: must be a {kind.__name__}")
    _require(isinstance(org.get("organizationId"), str), "organizationId: must be a string")
    _require(isinstance(org.get("isSandbox"), bool), "isSandbox: must be true or false")
    _require(org["user"].get("profile") in org["profiles"], "user.profile: names no entry of profiles")
    for name in org["user"].get("permissionSets", []):
        _require(name in org["permissionSets"], f"user.permissionSets: {name!r} names no entry of permissionSets")
    for name, profile in org["profiles"].items():
        for i, ip_range in enumerate(profile.get("loginIpRanges", [])):
            _require({"start", "end"} <= set(ip_range), f"profiles.{name}.loginIpRanges[{i}]: needs start and end")
    for name, spec in org["sobjects"].items():
        _require(isinstance(spec, dict) and isinstance(spec.get("fields", {}), dict),
                 f"sobjects.{name}.fields: must be a map of field name to its definition")
    for name, ps in org["permissionSets"].items():
        _require(isinstance(ps, dict) and isinstance(ps.get("id"), str), f"permissionSets.{name}.id: must be a string")
        _validate_object_permissions(org, name, ps)
        _validate_field_permissions(org, name, ps)
    _require(isinstance(org["knobs"].get("tokenLifetimeSeconds", 0), int | float),
             "knobs.tokenLifetimeSeconds: must be a number")


def _validate_object_permissions(org: dict, name: str, ps: dict) -> None:
    for sobject, flags in (ps.get("objectPermissions") or {}).items():
        where = f"permissionSets.{name}.objectPermissions.{sobject}"
        _require(sobject in org["sobjects"], f"{where}: the org has no object {sobject!r}")
        for flag, needs in OBJECT_DEPENDENCIES.items():
            missing = [n for n in needs if flags.get(flag) and not flags.get(n)]
            _require(not missing, f"{where}.{flag}: Salesforce requires {', '.join(missing)} with it")


def _validate_field_permissions(org: dict, name: str, ps: dict) -> None:
    for qualified, flags in (ps.get("fieldPermissions") or {}).items():
        where = f"permissionSets.{name}.fieldPermissions.{qualified}"
        sobject, _, field = qualified.partition(".")
        fields = field_defs(org, sobject) if sobject in org["sobjects"] else {}
        _require(field in fields, f"{where}: the org has no field {qualified!r}")
        _require(is_permissionable(fields[field]),
                 f"{where}: {qualified} is not permissionable (Salesforce treats Id, audit and required fields as "
                 "always readable, or readable and writable, and keeps no FieldPermissions for them)")
        _require(not flags.get("Edit") or flags.get("Read"), f"{where}.Edit: Salesforce requires Read with it")


def user_permission_sets(org: dict) -> list[tuple[str, dict]]:
    """The user's profile-owned permission set first, then the assigned ones."""
    profile = org["user"]["profile"]
    owned = [(n, ps) for n, ps in org["permissionSets"].items() if ps.get("profile") == profile]
    assigned = [(n, org["permissionSets"][n]) for n in org["user"].get("permissionSets", [])]
    return owned + assigned


def has_user_permission(org: dict, flag: str) -> bool:
    return any(ps.get("userPermissions", {}).get(flag) for _, ps in user_permission_sets(org))


def object_permission(org: dict, sobject: str, flag: str) -> bool:
    """The user's object permission, OR-ed over profile and permission sets; Modify All Data grants every one,
    View All Data grants Read and View All (Salesforce's system permissions)."""
    if has_user_permission(org, "ModifyAllData"):
        return True
    if flag in ("Read", "ViewAllRecords") and has_user_permission(org, "ViewAllData"):
        return True
    return any(ps.get("objectPermissions", {}).get(sobject, {}).get(flag) for _, ps in user_permission_sets(org))


def can_read_object(org: dict, sobject: str) -> bool:
    return object_permission(org, sobject, "Read")


def field_permission(org: dict, qualified: str, flag: str) -> bool:
    """Field-level security for the user: OR-ed over the FieldPermissions of profile and permission sets."""
    return any(ps.get("fieldPermissions", {}).get(qualified, {}).get(flag) for _, ps in user_permission_sets(org))
