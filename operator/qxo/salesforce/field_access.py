"""FieldAccess and Environment, decided the way Salesforce decides them.

Field access is what a describe made as the integration user says: a field the user cannot read is
not in it, and `createable`/`updateable` say whether the user may write it. That holds for the fields
FieldPermissions has no rows for ("always readable" Id and audit fields, "always readable and writable"
required fields such as Account.Name, told apart by `permissionable`), so FieldPermissions rows only
name which permission set grants a permissionable field, never decide. Pages:
- https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-fieldpermissions.html
- https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm
The environment is Organization.IsSandbox
(https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-organization.html).
"""

from __future__ import annotations

from qxo.salesforce.checks import Check, Facts, Unreadable, grant_hint, unknown_check
from qxo.salesforce.requirements import FIELD_ACCESS, FieldRequirement, Requirements


def _described_field(described: dict, name: str) -> dict | None:
    return next((f for f in described.get("fields") or () if str(f.get("name", "")).lower() == name.lower()), None)


def _granted_by(facts: Facts, qualified: str, flag: str) -> list[str]:
    """Which permission sets' FieldPermissions grant `flag`, when they could be read (View Setup)."""
    if not isinstance(facts.field_permissions, list) or not isinstance(facts.permission_sets, list):
        return []
    names = {ps["Id"]: ("the profile" if ps.get("IsOwnedByProfile") else f"permission set {ps['Name']}")
             for ps in facts.permission_sets}
    return sorted({names.get(row["ParentId"], row["ParentId"]) for row in facts.field_permissions
                   if str(row.get("Field", "")).lower() == qualified.lower() and row.get(flag)})


def _one_field(facts: Facts, req: FieldRequirement, described: dict) -> tuple[list[str], str]:
    """(what is lacking, what is held) for one declared field, from the user's describe."""
    labels = [FIELD_ACCESS[a][1] for a in req.access]
    field = _described_field(described, req.field)
    if field is None:
        return [f"{', '.join(labels)} on {req.qualified} (field-level security hides it from {facts.username}, or "
                f"{req.object} has no such field)"], ""
    lacking = []
    if "Edit" in req.access and not (field.get("updateable") or field.get("createable")):
        # A field that is not permissionable yet not writable is an Id or audit field: read-only for everyone.
        if field.get("calculated") or field.get("autoNumber") or not field.get("permissionable"):
            lacking.append(f"Edit Access on {req.qualified} (Salesforce makes it read-only: a system, formula or "
                           "auto-number field cannot be written)")
        else:
            lacking.append(f"Edit Access on {req.qualified}")
    if not field.get("permissionable"):
        how = "always readable and writable" if field.get("updateable") or field.get("createable") else \
            "always readable"
        held = f"{req.qualified}: {', '.join(labels)} ({how} in Salesforce: it has no FieldPermissions)"
    else:
        flag = "PermissionsEdit" if "Edit" in req.access else "PermissionsRead"
        holders = _granted_by(facts, req.qualified, flag)
        held = f"{req.qualified}: {', '.join(labels)}" + (f" (granted by {', '.join(holders)})" if holders else "")
        if "Edit" in req.access and not field.get("updateable") and field.get("createable"):
            held += " (on insert only)"
    return lacking, held


def check_field_access(facts: Facts, requirements: Requirements) -> Check:
    if not requirements.fields:
        return Check("FieldAccess", "Passed", "no field access declared")
    missing, held = [], []
    for req in requirements.fields:
        described = facts.describes.get(req.object)
        if isinstance(described, Unreadable):
            if described.error_code != "NOT_FOUND":
                return unknown_check("FieldAccess", described)
            missing.append(f"Read on {req.object} (so none of its fields is visible, {req.qualified} included)")
            continue
        lacking, holding = _one_field(facts, req, described or {})
        missing += lacking
        if not lacking and holding:
            held.append(holding)
    if missing:
        return Check("FieldAccess", "Failed",
                     f"{facts.username} lacks {'; '.join(dict.fromkeys(missing))}: grant it in Field Permissions "
                     f"{grant_hint(facts, 'Object Settings')}")
    return Check("FieldAccess", "Passed", "; ".join(held))


def check_environment(facts: Facts, environment: str) -> Check:
    unknown = unknown_check("Environment", facts.organization)
    if unknown:
        return unknown
    if not facts.organization:
        return Check("Environment", "Unknown", f"the Organization record is not visible to {facts.username}")
    org = facts.organization[0]
    actual = "Sandbox" if org.get("IsSandbox") else "Production"
    where = f"org {org.get('Name') or ''} ({org.get('Id')}) is a {actual} org (Organization.IsSandbox = " \
            f"{str(bool(org.get('IsSandbox'))).lower()})"
    if actual == environment:
        return Check("Environment", "Passed", where)
    return Check("Environment", "Failed",
                 f"the link declares a {environment} org, but its login leads to a {actual} org: {where}; set the "
                 f"environment to {actual}, or log in to the {environment} org (check the login URL and refresh token)")
