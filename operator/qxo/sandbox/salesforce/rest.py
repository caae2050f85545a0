"""The sandbox's REST query, sObject describe and limits resources and the Metadata API's readMetadata.

Each answers as the calling user of the org its access token belongs to: setup objects need View Setup
and Configuration, a describe shows only what the user may see (see `sobjects`), and the Metadata API
needs Modify Metadata Through Metadata API Functions or Modify All Data
(https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_metadata_perm.htm).
readMetadata serves SecuritySettings (`sessionSettings`,
https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_securitysettings.htm) and
Profile (`loginIpRanges` of ProfileLoginIpRange, `custom`, `userLicense`,
https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/meta_profile.htm).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from aiohttp import web

from qxo.sandbox.salesforce import org as orgmodel
from qxo.sandbox.salesforce.query import execute
from qxo.sandbox.salesforce.sobjects import describe_field, field_defs, is_permissionable
from qxo.sandbox.salesforce.soql import SoqlError
from qxo.sandbox.salesforce.state import STATE, OrgState, bearer, sf_error, soap_fault

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MD_NS = "http://soap.sforce.com/2006/04/metadata"


def _caller(request: web.Request) -> dict | web.Response:
    """The org of the request's access token, or the error Salesforce answers instead."""
    state: OrgState = request.app[STATE]
    state.counters["apiRequests"] += 1
    org = state.org_for(bearer(request))
    if org is None:
        return sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
    if org["knobs"].get("requestLimitExceeded"):
        return sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    if not orgmodel.has_user_permission(org, "ApiEnabled"):
        return sf_error(403, "API_CURRENTLY_DISABLED", "API is disabled for this User")
    return org


async def query(request: web.Request) -> web.Response:
    org = _caller(request)
    if isinstance(org, web.Response):
        return org
    try:
        total, records = execute(org, request.query.get("q", ""), orgmodel.has_user_permission(org, "ViewSetup"))
    except SoqlError as error:
        return sf_error(400, error.error_code, error.message)
    return web.json_response({"totalSize": total, "done": True, "records": records})


def _record_type_infos(org: dict, sobject: str) -> list[dict]:
    infos = [
        {
            "active": bool(rt.get("active", True)),
            "available": bool(rt.get("available")),
            "defaultRecordTypeMapping": False,
            "developerName": key.split(".", 1)[1],
            "master": False,
            "name": rt.get("name", key),
            "recordTypeId": rt["id"],
            "urls": {},
        }
        for key, rt in org["recordTypes"].items()
        if key.split(".", 1)[0] == sobject
    ]
    infos.append({"active": True, "available": True, "defaultRecordTypeMapping": not any(i["available"] for i in infos),
                  "developerName": "Master", "master": True, "name": "Master", "recordTypeId": "012000000000000AAA",
                  "urls": {}})
    return infos


def describe_for_user(org: dict, sobject: str) -> dict:
    """The DescribeSObjectResult this org's user gets: object CRUD flags from object permissions, and only
    the fields field-level security lets the user read, each `createable`/`updateable` as the user may."""
    fields = []
    for name, spec in field_defs(org, sobject).items():
        qualified = f"{sobject}.{name}"
        if is_permissionable(spec):
            if not orgmodel.field_permission(org, qualified, "Read"):
                continue  # hidden by field-level security
            can_edit = orgmodel.field_permission(org, qualified, "Edit")
        else:
            can_edit = True  # always readable, and writable unless it is an Id or audit field
        fields.append(describe_field(name, spec, can_edit=can_edit))
    spec = org["sobjects"][sobject]
    base = f"/services/data/v60.0/sobjects/{sobject}"
    return {
        "name": sobject,
        "label": spec.get("label", sobject),
        "labelPlural": spec.get("labelPlural", spec.get("label", sobject) + "s"),
        "keyPrefix": spec.get("keyPrefix"),
        "custom": sobject.endswith("__c"),
        "customSetting": False,
        "queryable": True,
        "retrieveable": True,
        "searchable": True,
        "layoutable": True,
        "createable": orgmodel.object_permission(org, sobject, "Create"),
        "updateable": orgmodel.object_permission(org, sobject, "Edit"),
        "deletable": orgmodel.object_permission(org, sobject, "Delete"),
        "undeletable": orgmodel.object_permission(org, sobject, "Delete"),
        "mergeable": False,
        "replicateable": True,
        "triggerable": True,
        "feedEnabled": False,
        "deprecatedAndHidden": False,
        "fields": fields,
        "childRelationships": [],
        "recordTypeInfos": _record_type_infos(org, sobject),
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }


def _readable(org: dict, name: str) -> str | None:
    """The org's object of that name (as Salesforce matches it, ignoring case), if the user may read it."""
    sobject = next((s for s in org["sobjects"] if s.lower() == name.lower()), None)
    return sobject if sobject is not None and orgmodel.can_read_object(org, sobject) else None


async def describe(request: web.Request) -> web.Response:
    org = _caller(request)
    if isinstance(org, web.Response):
        return org
    sobject = _readable(org, request.match_info["name"])
    if sobject is None:
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    return web.json_response(describe_for_user(org, sobject))


def _summary(org: dict, sobject: str) -> dict:
    """An object as the global describe and the basic information resource list it."""
    described = describe_for_user(org, sobject)
    keys = ("name", "label", "labelPlural", "keyPrefix", "custom", "customSetting", "queryable", "retrieveable",
            "searchable", "layoutable", "createable", "updateable", "deletable", "undeletable", "mergeable",
            "replicateable", "triggerable", "feedEnabled", "deprecatedAndHidden")
    return {**{k: described[k] for k in keys}, "urls": described["urls"]}


async def describe_global(request: web.Request) -> web.Response:
    """GET /sobjects: the objects the user can read (Describe Global)."""
    org = _caller(request)
    if isinstance(org, web.Response):
        return org
    readable = [s for s in org["sobjects"] if orgmodel.can_read_object(org, s)]
    return web.json_response({"encoding": "UTF-8", "maxBatchSize": 200,
                              "sobjects": [_summary(org, s) for s in readable]})


async def sobject_basic_info(request: web.Request) -> web.Response:
    """GET /sobjects/{name}: the object's summary and its recently viewed records (none in the sandbox)."""
    org = _caller(request)
    if isinstance(org, web.Response):
        return org
    sobject = _readable(org, request.match_info["name"])
    if sobject is None:
        return sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    return web.json_response({"objectDescribe": _summary(org, sobject), "recentItems": []})


async def limits(request: web.Request) -> web.Response:
    org = _caller(request)
    if isinstance(org, web.Response):
        return org
    state: OrgState = request.app[STATE]
    daily = int(org.get("limits", {}).get("DailyApiRequests", 15000))
    used = state.counters["apiRequests"]
    return web.json_response({"DailyApiRequests": {"Max": daily, "Remaining": max(0, daily - used)}})


def _flag(value: object) -> str:
    return str(bool(value)).lower()


def _security_settings(org: dict) -> str:
    settings = org["sessionSettings"]
    return (f'<records xsi:type="SecuritySettings"><fullName>Security</fullName><sessionSettings>'
            f"<lockSessionsToDomain>{_flag(settings.get('lockSessionsToDomain'))}</lockSessionsToDomain>"
            f"<lockSessionsToIp>{_flag(settings.get('lockSessionsToIp'))}</lockSessionsToIp>"
            f"<sessionTimeout>TwoHours</sessionTimeout></sessionSettings></records>")


def _login_ip_range(ip_range: dict) -> str:
    description = f"<description>{escape(ip_range['description'])}</description>" if ip_range.get("description") else ""
    return (f"<loginIpRanges>{description}<endAddress>{escape(ip_range['end'])}</endAddress>"
            f"<startAddress>{escape(ip_range['start'])}</startAddress></loginIpRanges>")


def _profile(org: dict, full_name: str) -> str:
    name = next((n for n, p in org["profiles"].items() if p.get("fullName", n) == full_name), None)
    if name is None:
        return '<records xsi:nil="true"/>'
    profile = org["profiles"][name]
    ranges = "".join(_login_ip_range(r) for r in profile.get("loginIpRanges", []))
    owned = next((ps for ps in org["permissionSets"].values() if ps.get("profile") == name), {})
    permissions = "".join(f"<userPermissions><enabled>true</enabled><name>{escape(p)}</name></userPermissions>"
                          for p, on in sorted(owned.get("userPermissions", {}).items()) if on)
    return (f'<records xsi:type="Profile"><fullName>{escape(profile.get("fullName", name))}</fullName>'
            f"<custom>true</custom>{ranges}<userLicense>{escape(profile.get('userLicense', 'Salesforce'))}"
            f"</userLicense>{permissions}</records>")


async def metadata(request: web.Request) -> web.Response:
    state: OrgState = request.app[STATE]
    state.counters["apiRequests"] += 1
    try:
        root = ET.fromstring(await request.read())  # noqa: S314 - the sandbox parses its own test clients' XML
    except ET.ParseError:
        return soap_fault("INVALID_XML", "the request body is not XML")
    org = state.org_for(root.findtext(f".//{{{MD_NS}}}sessionId"))
    if org is None:
        return soap_fault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
    if org["knobs"].get("requestLimitExceeded"):
        return soap_fault("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    if not orgmodel.has_user_permission(org, "ApiEnabled"):
        return soap_fault("API_CURRENTLY_DISABLED", "API is disabled for this User")
    read = root.find(f".//{{{MD_NS}}}readMetadata")
    if read is None:
        return soap_fault("INVALID_OPERATION", "the sandbox serves readMetadata only")
    if not (orgmodel.has_user_permission(org, "ModifyMetadata") or orgmodel.has_user_permission(org, "ModifyAllData")):
        return soap_fault(
            "INSUFFICIENT_ACCESS",
            "use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions",
        )
    kind = read.findtext(f"{{{MD_NS}}}type")
    names = [n.text or "" for n in read.findall(f"{{{MD_NS}}}fullNames")]
    if kind == "SecuritySettings":
        records = _security_settings(org) if "Security" in names else ""
    elif kind == "Profile":
        records = "".join(_profile(org, name) for name in names)
    else:
        return soap_fault("INVALID_TYPE", f"This type of metadata is not available for this organization: {kind}")
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns="{MD_NS}" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><readMetadataResponse><result>'
        f"{records}</result></readMetadataResponse></soapenv:Body></soapenv:Envelope>"
    )
    return web.Response(text=body, content_type="text/xml")
