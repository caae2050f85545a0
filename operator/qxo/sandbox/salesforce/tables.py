"""The rows the sandbox org answers SOQL with: every column the object reference lists for each object.

One function per object builds its rows from the org dict; `TABLES` says which columns each object
has, which lookups (relationship name -> object, foreign key) a query may follow, and whether it is a
setup object that needs View Setup and Configuration. The pages followed, all under
https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/:
object-organization.html, object-user.html, object-profile.html, object-permissionset.html
(`IsOwnedByProfile`, `ProfileId`, the `Permissions<Name>` fields), object-permissionsetassignment.html,
object-objectpermissions.html, object-fieldpermissions.html (no rows for fields that are not
permissionable), object-recordtype.html and object-connectedapplication.html.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qxo.sandbox.salesforce.org import OBJECT_FLAGS, user_permission_sets
from qxo.sandbox.salesforce.sobjects import field_defs, is_permissionable

SEEDED_AT = "2024-01-15T09:30:00.000+0000"
ADMIN_USER_ID = "0055g00000AdminAAA"
# `Permissions<Name>` columns of PermissionSet and Profile (both objects list the same user permissions; the
# reference has hundreds, these are the ones an integration user's setup touches). Unset ones read false.
USER_PERMISSIONS = (
    "ApiEnabled", "ApiUserOnly", "AssignPermissionSets", "AuthorApex", "BulkApiHardDelete", "ConvertLeads",
    "CustomizeApplication", "EditEvent", "EditPublicDocuments", "EditPublicTemplates", "EditReadonlyFields",
    "EditTask", "EmailMass", "EmailSingle", "ExportReport", "ImportLeads", "ImportPersonal", "LightningExperienceUser",
    "ManageCases", "ManageDashboards", "ManageInternalUsers", "ManageProfilesPermissionsets", "ManageRoles",
    "ManageSharing", "ManageUsers", "ModifyAllData", "ModifyMetadata", "PasswordNeverExpires", "ResetPasswords",
    "RunReports", "TransferAnyEntity", "ViewAllData", "ViewAllUsers", "ViewDataCategories", "ViewRoles",
    "ViewSetup",
)
AUDIT = {"CreatedDate": SEEDED_AT, "CreatedById": ADMIN_USER_ID, "LastModifiedDate": SEEDED_AT,
         "LastModifiedById": ADMIN_USER_ID, "SystemModstamp": SEEDED_AT}


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: Callable[[dict], list[dict[str, Any]]]
    lookups: dict[str, tuple[str, str]] = field(default_factory=dict)  # relationship -> (object, foreign key)
    setup: bool = False  # readable only with View Setup and Configuration


def _permissions(ps: dict | None) -> dict[str, bool]:
    granted = (ps or {}).get("userPermissions", {})
    return {f"Permissions{name}": bool(granted.get(name)) for name in USER_PERMISSIONS}


def _organization(org: dict) -> list[dict]:
    return [{
        "Id": org["organizationId"], "Name": org.get("organizationName", ""), "Division": None, "Street": None,
        "City": None, "State": None, "PostalCode": None, "Country": "United States", "Latitude": None,
        "Longitude": None, "GeocodeAccuracy": None, "Address": None, "Phone": None, "Fax": None,
        "PrimaryContact": None, "DefaultLocaleSidKey": "en_US", "TimeZoneSidKey": "America/Los_Angeles",
        "LanguageLocaleKey": "en_US", "ReceivesInfoEmails": False, "ReceivesAdminInfoEmails": False,
        "PreferencesRequireOpportunityProducts": False, "FiscalYearStartMonth": 1,
        "UsesStartDateAsFiscalYearName": False, "DefaultAccountAccess": "Edit",
        "DefaultContactAccess": "ControlledByParent", "DefaultOpportunityAccess": "Edit",
        "DefaultLeadAccess": "ReadEditTransfer", "DefaultCaseAccess": "ReadEditTransfer",
        "DefaultCalendarAccess": "HideDetailsInsert", "DefaultPricebookAccess": "ReadSelect",
        "DefaultCampaignAccess": "All", "ComplianceBccEmail": None, "UiSkin": "Theme3", "SignupCountryIsoCode": "US",
        "TrialExpirationDate": None, "NumKnowledgeService": 0, "OrganizationType": org.get("organizationType"),
        "NamespacePrefix": None, "InstanceName": org.get("instanceName"), "IsSandbox": bool(org.get("isSandbox")),
        "WebToCaseDefaultOrigin": None, "MonthlyPageViewsUsed": 0, "MonthlyPageViewsEntitlement": 0,
        "IsReadOnly": False, **AUDIT,
    }]


def _users(org: dict) -> list[dict]:
    user, profiles = org["user"], org["profiles"]
    first, _, last = user.get("name", "").rpartition(" ")
    admin_profile = next(iter(profiles.values()))["id"]
    integration = (user["id"], user["username"], first, last or user["username"], profiles[user["profile"]]["id"])
    admin = (ADMIN_USER_ID, f"admin@{org['organizationId'].lower()}.example", "Org", "Admin", admin_profile)
    return [{
        "Id": ident, "Username": username, "LastName": last_name, "FirstName": first_name or None,
        "Name": f"{first_name} {last_name}".strip(), "CompanyName": org.get("organizationName"), "Division": None,
        "Department": None, "Title": None, "Street": None, "City": None, "State": None, "PostalCode": None,
        "Country": None, "Email": username, "Phone": None, "MobilePhone": None, "Alias": last_name[:8].lower(),
        "CommunityNickname": username.split("@")[0], "IsActive": True, "TimeZoneSidKey": "America/Los_Angeles",
        "UserRoleId": None, "LocaleSidKey": "en_US", "ReceivesInfoEmails": False, "EmailEncodingKey": "UTF-8",
        "ProfileId": profile_id, "UserType": "Standard", "LanguageLocaleKey": "en_US", "EmployeeNumber": None,
        "ManagerId": None, "LastLoginDate": None, "LastPasswordChangeDate": None, "FederationIdentifier": None,
        "AccountId": None, "ContactId": None, **AUDIT,
    } for ident, username, first_name, last_name, profile_id in (integration, admin)]


def _profiles(org: dict) -> list[dict]:
    owned = {ps.get("profile"): ps for ps in org["permissionSets"].values() if ps.get("profile")}
    return [{
        "Id": p["id"], "Name": name, "UserLicenseId": "1005g000000SfLicAAA", "UserType": "Standard",
        "Description": p.get("description"), "LastViewedDate": None, "LastReferencedDate": None,
        # A profile's permissions are those of the permission set it owns (PermissionSet.IsOwnedByProfile).
        **_permissions(owned.get(name)), **AUDIT,
    } for name, p in org["profiles"].items()]


def _permission_sets(org: dict) -> list[dict]:
    profiles = org["profiles"]
    rows = []
    for name, ps in org["permissionSets"].items():
        profile = profiles.get(ps.get("profile"))
        rows.append({
            "Id": ps["id"], "Name": name, "Label": ps.get("label", name), "Description": ps.get("description"),
            "IsOwnedByProfile": profile is not None, "ProfileId": profile["id"] if profile else None,
            "IsCustom": profile is None, "Type": "Profile" if profile else "Regular", "LicenseId": None,
            "UserLicenseId": None, "PermissionSetGroupId": None, "HasActivationRequired": False,
            "NamespacePrefix": None, **_permissions(ps), **AUDIT,
        })
    return rows


def _assignments(org: dict) -> list[dict]:
    return [{"Id": f"0Pa{ps['id'][3:]}", "AssigneeId": org["user"]["id"], "PermissionSetId": ps["id"],
             "PermissionSetGroupId": None, "IsActive": True, "ExpirationDate": None, "SystemModstamp": SEEDED_AT}
            for _, ps in user_permission_sets(org)]


def _object_permissions(org: dict) -> list[dict]:
    return [{"Id": f"110{ps['id'][3:12]}{sobject[:6]}", "ParentId": ps["id"], "SobjectType": sobject,
             **{f"Permissions{flag}": bool(flags.get(flag)) for flag in OBJECT_FLAGS}, **AUDIT}
            for ps in org["permissionSets"].values() for sobject, flags in ps.get("objectPermissions", {}).items()]


def _field_permissions(org: dict) -> list[dict]:
    rows = []
    for ps in org["permissionSets"].values():
        for qualified, flags in ps.get("fieldPermissions", {}).items():
            sobject, _, name = qualified.partition(".")
            spec = field_defs(org, sobject).get(name) if sobject in org["sobjects"] else None
            # No rows for fields that are not permissionable, and none without Read (Salesforce deletes those).
            if spec is None or not is_permissionable(spec) or not flags.get("Read"):
                continue
            rows.append({"Id": f"01k{ps['id'][3:12]}{name[:6]}", "ParentId": ps["id"], "SobjectType": sobject,
                         "Field": qualified, "PermissionsRead": True, "PermissionsEdit": bool(flags.get("Edit")),
                         "SystemModstamp": SEEDED_AT})
    return rows


def _record_types(org: dict) -> list[dict]:
    return [{"Id": rt["id"], "Name": rt.get("name", key), "DeveloperName": key.split(".", 1)[1],
             "NamespacePrefix": None, "Description": None, "BusinessProcessId": None,
             "SobjectType": key.split(".", 1)[0], "IsActive": bool(rt.get("active", True)), **AUDIT}
            for key, rt in org["recordTypes"].items()]


def _connected_apps(org: dict) -> list[dict]:
    return [{"Id": app["id"], "Name": name, "OptionsAllowAdminApprovedUsersOnly": bool(
                 app.get("optionsAllowAdminApprovedUsersOnly")),
             "OptionsRefreshTokenValidityMetric": bool(app.get("optionsRefreshTokenValidityMetric")),
             "RefreshTokenValidityPeriod": app.get("refreshTokenValidityPeriod"),
             "OptionsHasSessionLevelPolicy": False, "OptionsIsInternal": False,
             "OptionsFullContentPushNotifications": False, "OptionsCodeCredentialGuestEnabled": False,
             "OptionsAppIssueJwtTokenEnabled": False, "OptionsTokenExchangeEnabled": False,
             "MobileSessionTimeout": None, "PinLength": None, "StartUrl": None, "MobileStartUrl": None,
             "UiLoginFlowId": None, **AUDIT}
            for name, app in org["connectedApps"].items()]


def _columns(builder: Callable[[dict], list[dict]], probe: dict) -> tuple[str, ...]:
    return tuple(builder(probe)[0])


_AUDIT_LOOKUPS = {"CreatedBy": ("User", "CreatedById"), "LastModifiedBy": ("User", "LastModifiedById")}
_BUILDERS: dict[str, tuple[Callable[[dict], list[dict]], dict[str, tuple[str, str]], bool]] = {
    "Organization": (_organization, _AUDIT_LOOKUPS, False),
    "User": (_users, {"Profile": ("Profile", "ProfileId"), **_AUDIT_LOOKUPS}, False),
    "Profile": (_profiles, _AUDIT_LOOKUPS, False),
    "PermissionSet": (_permission_sets, {"Profile": ("Profile", "ProfileId"), **_AUDIT_LOOKUPS}, True),
    "PermissionSetAssignment": (_assignments, {"Assignee": ("User", "AssigneeId"),
                                               "PermissionSet": ("PermissionSet", "PermissionSetId")}, True),
    "ObjectPermissions": (_object_permissions, {"Parent": ("PermissionSet", "ParentId"), **_AUDIT_LOOKUPS}, True),
    "FieldPermissions": (_field_permissions, {"Parent": ("PermissionSet", "ParentId")}, True),
    "RecordType": (_record_types, _AUDIT_LOOKUPS, False),
    "ConnectedApplication": (_connected_apps, _AUDIT_LOOKUPS, True),
}


def _probe() -> dict:
    """An org with one row in every table, so each table knows its columns even when the real org has none."""
    from qxo.sandbox.salesforce.org import default_org

    org = default_org()
    org["permissionSets"]["Qualtrics_Integration"]["fieldPermissions"] = {"Contact.Email": {"Read": True}}
    return org


_PROBE = _probe()
TABLES: dict[str, Table] = {name: Table(_columns(build, _PROBE), build, lookups, setup)
                            for name, (build, lookups, setup) in _BUILDERS.items()}
