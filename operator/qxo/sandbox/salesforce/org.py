"""The sandbox org as one JSON-able dict: its seed, merge-patching it, and the sobject rows it implies.

Keyed by name wherever a test wants to break one thing (`permissionSets.<name>.objectPermissions.
Contact.ViewAllRecords: false`), so a JSON merge patch (RFC 7386) through `/_sandbox/org` can.
"""

from __future__ import annotations

OBJECT_FLAGS = ("Read", "Create", "Edit", "Delete", "ViewAllRecords", "ModifyAllRecords")
FIELD_FLAGS = ("Read", "Edit")
USER_FLAGS = ("ApiEnabled", "ViewSetup", "ViewAllData", "ModifyAllData", "ModifyMetadata", "CustomizeApplication")
PROFILE_NAME = "Qualtrics Integration"


def _objects(**grants: str) -> dict:
    return {name: {flag: flag in granted.split() for flag in OBJECT_FLAGS} for name, granted in grants.items()}


def default_org() -> dict:
    """An org whose integration user passes every preflight check for the seed requirements and examples/."""
    return {
        "organizationId": "00D5g000004AcmeEAC",
        "organizationName": "Acme",
        "isSandbox": True,
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
                "objectPermissions": _objects(Contact="Read", Case="Read"),
                "fieldPermissions": {"Contact.Email": {"Read": True, "Edit": False}},
            },
            "Qualtrics_Integration": {
                "id": "0PS5g000000IntAAAS",
                "label": "Qualtrics Integration",
                "userPermissions": {},
                "objectPermissions": _objects(
                    Contact="Read Create Edit ViewAllRecords ModifyAllRecords", Case="Read Create Edit",
                    Account="Read ViewAllRecords",
                ),
                "fieldPermissions": {
                    "Contact.Email": {"Read": True, "Edit": True},
                    "Contact.Survey_Score__c": {"Read": True, "Edit": True},
                    "Case.Subject": {"Read": True, "Edit": True},
                    "Account.Name": {"Read": True, "Edit": False},
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
        "sobjects": ["Account", "Contact", "Case", "Lead", "Opportunity"],
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


def validate(org: dict) -> None:
    """Raise ValueError naming the field when a patched org no longer has the shape the server reads."""
    for key, kind in (
        ("user", dict),
        ("profiles", dict),
        ("permissionSets", dict),
        ("sobjects", list),
        ("recordTypes", dict),
        ("sessionSettings", dict),
        ("connectedApps", dict),
        ("knobs", dict),
    ):
        if not isinstance(org.get(key), kind):
            raise ValueError(f"{key}: must be a {kind.__name__}")
    if org["user"].get("profile") not in org["profiles"]:
        raise ValueError("user.profile: names no entry of profiles")
    for name in org["user"].get("permissionSets", []):
        if name not in org["permissionSets"]:
            raise ValueError(f"user.permissionSets: {name!r} names no entry of permissionSets")
    for name, ps in org["permissionSets"].items():
        if not isinstance(ps, dict) or not isinstance(ps.get("id"), str):
            raise ValueError(f"permissionSets.{name}.id: must be a string")
    for name, profile in org["profiles"].items():
        for i, ip_range in enumerate(profile.get("loginIpRanges", [])):
            if not {"start", "end"} <= set(ip_range):
                raise ValueError(f"profiles.{name}.loginIpRanges[{i}]: needs start and end")
    if not isinstance(org["knobs"].get("tokenLifetimeSeconds", 0), int | float):
        raise ValueError("knobs.tokenLifetimeSeconds: must be a number")


def user_permission_sets(org: dict) -> list[tuple[str, dict]]:
    """The user's profile-owned permission set first, then the assigned ones."""
    profile = org["user"]["profile"]
    owned = [(n, ps) for n, ps in org["permissionSets"].items() if ps.get("profile") == profile]
    assigned = [(n, org["permissionSets"][n]) for n in org["user"].get("permissionSets", [])]
    return owned + assigned


def has_user_permission(org: dict, flag: str) -> bool:
    return any(ps.get("userPermissions", {}).get(flag) for _, ps in user_permission_sets(org))


def can_read_object(org: dict, sobject: str) -> bool:
    if has_user_permission(org, "ViewAllData") or has_user_permission(org, "ModifyAllData"):
        return True
    return any(ps.get("objectPermissions", {}).get(sobject, {}).get("Read") for _, ps in user_permission_sets(org))
