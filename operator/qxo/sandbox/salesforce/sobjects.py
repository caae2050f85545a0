"""The sandbox org's data model: each sObject's fields, which of them are permissionable, and its describe.

A describe is computed for the calling user, as Salesforce computes it: fields field-level security
hides are left out, and `createable` / `updateable` say whether this user may write them. What the
sandbox follows:

- DescribeSObjectResult and its Field properties (`permissionable`, `createable`, `updateable`,
  `nillable`, `calculated`, ...):
  https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm
  (the property list as jsforce types it: https://jsforce.github.io/jsforce/types/api_soap_schema.Field.html).
- FieldPermissions: Id and audit fields are "assumed to always be readable", required fields "always
  readable and writable"; neither has FieldPermissions rows, and `describeSObject`'s `permissionable`
  tells which fields those are:
  https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-fieldpermissions.html
- Describe calls honour the running user's permissions: fields the user cannot access are not returned
  (https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/apex_dynamic_permissions.htm).
"""

from __future__ import annotations

from typing import Any

# Every object has these; none is permissionable (Id and audit fields are always readable).
SYSTEM_FIELDS = {
    "Id": {"type": "id", "label": "Record ID"},
    "IsDeleted": {"type": "boolean", "label": "Deleted"},
    "CreatedDate": {"type": "datetime", "label": "Created Date"},
    "CreatedById": {"type": "reference", "label": "Created By ID", "referenceTo": ["User"]},
    "LastModifiedDate": {"type": "datetime", "label": "Last Modified Date"},
    "LastModifiedById": {"type": "reference", "label": "Last Modified By ID", "referenceTo": ["User"]},
    "SystemModstamp": {"type": "datetime", "label": "System Modstamp"},
}
_OWNER = {"type": "reference", "referenceTo": ["User"], "required": True, "defaultedOnCreate": True}
_SOAP_TYPES = {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "double": "xsd:double",
               "currency": "xsd:double", "date": "xsd:date", "datetime": "xsd:dateTime", "int": "xsd:int"}


def seed_sobjects() -> dict[str, dict[str, Any]]:
    """Standard objects with the fields the examples and tests use; custom fields end in __c."""
    return {
        "Account": {"label": "Account", "keyPrefix": "001", "fields": {
            "Name": {"type": "string", "required": True, "nameField": True},
            "AccountNumber": {"type": "string"},
            "Type": {"type": "picklist"},
            "Industry": {"type": "picklist"},
            "Phone": {"type": "phone"},
            "Website": {"type": "url"},
            "Description": {"type": "textarea"},
            "OwnerId": _OWNER,
        }},
        "Contact": {"label": "Contact", "keyPrefix": "003", "fields": {
            "LastName": {"type": "string", "required": True},
            "FirstName": {"type": "string"},
            "Email": {"type": "email"},
            "Phone": {"type": "phone"},
            "Title": {"type": "string"},
            "AccountId": {"type": "reference", "referenceTo": ["Account"]},
            "Survey_Score__c": {"type": "double"},
            "Score_Band__c": {"type": "string", "calculated": True},
            "OwnerId": _OWNER,
        }},
        "Case": {"label": "Case", "keyPrefix": "500", "fields": {
            "Subject": {"type": "string"},
            "Description": {"type": "textarea"},
            "Status": {"type": "picklist"},
            "Origin": {"type": "picklist"},
            "Priority": {"type": "picklist"},
            "ContactId": {"type": "reference", "referenceTo": ["Contact"]},
            "AccountId": {"type": "reference", "referenceTo": ["Account"]},
            "OwnerId": _OWNER,
        }},
        "Lead": {"label": "Lead", "keyPrefix": "00Q", "fields": {
            "LastName": {"type": "string", "required": True},
            "Company": {"type": "string", "required": True},
            "FirstName": {"type": "string"},
            "Email": {"type": "email"},
            "Status": {"type": "picklist"},
            "OwnerId": _OWNER,
        }},
        "Opportunity": {"label": "Opportunity", "keyPrefix": "006", "fields": {
            "Name": {"type": "string", "required": True, "nameField": True},
            "StageName": {"type": "picklist", "required": True},
            "CloseDate": {"type": "date", "required": True},
            "Amount": {"type": "currency"},
            "AccountId": {"type": "reference", "referenceTo": ["Account"]},
            "OwnerId": _OWNER,
        }},
    }


def field_defs(org: dict, sobject: str) -> dict[str, dict[str, Any]]:
    """Every field of `sobject`: the system fields, then its own, by API name."""
    return {**{name: {**spec, "system": True} for name, spec in SYSTEM_FIELDS.items()},
            **(org["sobjects"][sobject].get("fields") or {})}


def is_permissionable(spec: dict[str, Any]) -> bool:
    """False for Id and audit fields and for required fields: Salesforce keeps no FieldPermissions for them."""
    return not (spec.get("system") or spec.get("required"))


def _writable_by_nature(spec: dict[str, Any]) -> bool:
    return not (spec.get("system") or spec.get("calculated") or spec.get("autoNumber"))


def describe_field(name: str, spec: dict[str, Any], *, can_edit: bool) -> dict[str, Any]:
    """One Field of a DescribeSObjectResult; `can_edit` is the user's field-level Edit (or non-permissionable)."""
    kind = spec.get("type", "string")
    writable = _writable_by_nature(spec) and can_edit
    required = bool(spec.get("required"))
    return {
        "name": name,
        "label": spec.get("label") or name.removesuffix("__c").replace("_", " "),
        "type": kind,
        "soapType": _SOAP_TYPES.get(kind, "xsd:string"),
        "length": 0 if kind in _SOAP_TYPES else int(spec.get("length", 255)),
        "custom": name.endswith("__c"),
        "nillable": not (required or kind in ("id", "boolean") or spec.get("system")),
        "defaultedOnCreate": bool(spec.get("defaultedOnCreate") or spec.get("system")),
        "createable": writable,
        "updateable": writable,
        "permissionable": is_permissionable(spec),
        "calculated": bool(spec.get("calculated")),
        "autoNumber": bool(spec.get("autoNumber")),
        "nameField": bool(spec.get("nameField")),
        "idLookup": kind == "id",
        "unique": kind == "id",
        "externalId": False,
        "filterable": kind != "textarea",
        "sortable": kind != "textarea",
        "groupable": kind not in ("textarea", "double", "currency", "datetime"),
        "aggregatable": True,
        "caseSensitive": False,
        "encrypted": False,
        "deprecatedAndHidden": False,
        "restrictedPicklist": False,
        "picklistValues": [],
        "referenceTo": list(spec.get("referenceTo", [])),
        "relationshipName": name[:-2] if kind == "reference" and name.endswith("Id") else None,
        "polymorphicForeignKey": False,
        "digits": 0,
        "precision": 18 if kind in ("double", "currency") else 0,
        "scale": 2 if kind in ("double", "currency") else 0,
        "byteLength": 0 if kind in _SOAP_TYPES else 3 * int(spec.get("length", 255)),
    }
