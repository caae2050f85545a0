"""The sandbox org answers as Salesforce's object reference documents, queried with simple-salesforce.

Columns and rows come from the object reference, not from the preflight's own queries: Organization's
IsSandbox (settable per org), Profile's `Permissions*` columns, PermissionSet.IsOwnedByProfile, no
FieldPermissions rows for fields that are not permissionable, describes that apply the caller's
field-level security, and SOQL errors worded as Salesforce words them.
"""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from qxo.salesforce.http import build_session
from qxo.sandbox.salesforce import SalesforceSandbox
from qxo.trust.endpoints import Allowlist

LOOPBACK = Allowlist.with_defaults(["127.0.0.1"])  # the sandbox org listens on 127.0.0.1


@pytest.fixture(scope="module")
def running():
    with SalesforceSandbox.run_in_thread() as sandbox:
        yield sandbox


def login(sandbox: SalesforceSandbox, refresh_token: str | None = None) -> Salesforce:
    creds = sandbox.credentials
    # A session that trusts the sandbox's CA even when REQUESTS_CA_BUNDLE names another one.
    session = build_session(sandbox.ca_path, 10, LOOPBACK)
    token = session.post(f"{creds['login_url']}/services/oauth2/token", data={
        "grant_type": "refresh_token", "client_id": creds["client_id"], "client_secret": creds["client_secret"],
        "refresh_token": refresh_token or creds["refresh_token"]}, timeout=10)
    token.raise_for_status()
    body = token.json()
    return Salesforce(instance_url=body["instance_url"], session_id=body["access_token"], session=session)


def records(sf: Salesforce, soql: str) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "attributes"} for r in sf.query_all(soql)["records"]]


def test_organization_says_which_kind_of_org_each_login_reaches(running):
    sandbox = records(login(running), "SELECT Id, Name, IsSandbox, OrganizationType, InstanceName, "
                                      "TrialExpirationDate, NamespacePrefix FROM Organization")
    assert sandbox == [{"Id": running.org["organizationId"], "Name": "Acme", "IsSandbox": True,
                        "OrganizationType": "Enterprise Edition", "InstanceName": "CS224",
                        "TrialExpirationDate": None, "NamespacePrefix": None}]
    production = login(running, running.credentials["production"]["refresh_token"])
    assert records(production, "SELECT Id, IsSandbox FROM Organization") == [
        {"Id": running.credentials["production"]["organization_id"], "IsSandbox": False}]


def test_is_sandbox_is_settable_per_org():
    with SalesforceSandbox.run_in_thread() as sandbox:
        sandbox.patch_org({"isSandbox": False})
        assert records(login(sandbox), "SELECT IsSandbox FROM Organization") == [{"IsSandbox": False}]
        production = login(sandbox, sandbox.credentials["production"]["refresh_token"])
        assert records(production, "SELECT IsSandbox FROM Organization") == [{"IsSandbox": False}]


def test_profile_has_the_permission_columns_of_its_own_permission_set(running):
    sf = login(running)
    rows = records(sf, "SELECT Id, Name, UserType, PermissionsApiEnabled, PermissionsViewSetup, "
                       "PermissionsModifyAllData, PermissionsCustomizeApplication FROM Profile")
    assert rows == [{"Id": "00e5g000001QxoIAAS", "Name": "Qualtrics Integration", "UserType": "Standard",
                     "PermissionsApiEnabled": True, "PermissionsViewSetup": False,
                     "PermissionsModifyAllData": False, "PermissionsCustomizeApplication": False}]


def test_permission_set_is_owned_by_profile_and_the_reference_example_query_runs(running):
    sf = login(running)
    owned = records(sf, "SELECT Name, IsOwnedByProfile, ProfileId, Type, IsCustom FROM PermissionSet "
                        "WHERE IsOwnedByProfile = true")
    assert owned == [{"Name": "X00e5g000001QxoIAAS", "IsOwnedByProfile": True, "ProfileId": "00e5g000001QxoIAAS",
                      "Type": "Profile", "IsCustom": False}]
    assigned = records(sf, "SELECT Name FROM PermissionSet WHERE IsOwnedByProfile = false ORDER BY Name")
    assert [r["Name"] for r in assigned] == ["Qualtrics_Integration", "Qualtrics_Preflight"]
    # The FieldPermissions page's own example: which profile-owned sets grant Contact fields.
    rows = sf.query_all("SELECT Id, ParentId, SobjectType, Field, PermissionsEdit, PermissionsRead, Parent.Name "
                        "FROM FieldPermissions WHERE SobjectType = 'Contact' and Parent.IsOwnedByProfile = true "
                        "ORDER BY SObjectType, Field")["records"]
    assert [(r["Field"], r["PermissionsEdit"], r["Parent"]["Name"]) for r in rows] == [
        ("Contact.Email", False, "X00e5g000001QxoIAAS")]


def test_fields_that_are_not_permissionable_have_no_field_permissions_rows(running):
    sf = login(running)
    # "The following query returns no records, even though users do have some access to some of the fields."
    assert records(sf, "SELECT Field, SobjectType, PermissionsRead FROM FieldPermissions WHERE Field='Id'") == []
    assert records(sf, "SELECT Field FROM FieldPermissions WHERE Field = 'Account.Name'") == []
    granted = records(sf, "SELECT Field, PermissionsRead, PermissionsEdit FROM FieldPermissions "
                          "WHERE Field IN ('Contact.Email', 'Account.Industry') AND PermissionsEdit = true")
    assert granted == [{"Field": "Contact.Email", "PermissionsRead": True, "PermissionsEdit": True}]
    described = {f["name"]: f for f in sf.Account.describe()["fields"]}
    assert described["Name"]["permissionable"] is False and described["Name"]["updateable"] is True
    assert described["Id"]["permissionable"] is False and described["Id"]["updateable"] is False
    assert described["Industry"]["permissionable"] is True


def test_describe_applies_the_callers_field_level_security(running):
    sf = login(running)
    contact = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    assert contact["Email"]["updateable"] is True and contact["Email"]["createable"] is True
    assert contact["Score_Band__c"]["calculated"] is True and contact["Score_Band__c"]["updateable"] is False
    assert "Phone" not in contact  # no FieldPermissions grant Read: hidden, as Salesforce hides it
    assert "LastName" in contact and contact["LastName"]["nillable"] is False
    account = {f["name"]: f for f in sf.Account.describe()["fields"]}
    assert account["Industry"]["updateable"] is False  # Read only in its FieldPermissions
    described = sf.Case.describe()
    assert described["createable"] is True and described["deletable"] is False  # object permissions


@pytest.mark.parametrize(("soql", "code", "words"), [
    ("SELECT Nope FROM User", "INVALID_FIELD", "No such column 'Nope' on entity 'User'"),
    ("SELECT Id FROM Invoice__c", "INVALID_TYPE", "sObject type 'Invoice__c' is not supported"),
    ("SELECT Parent.Nope FROM ObjectPermissions", "INVALID_FIELD", "No such column 'Nope' on entity 'PermissionSet'"),
    ("SELECT Boss.Name FROM User", "INVALID_FIELD", "Didn't understand relationship 'Boss' in field path"),
    ("SELECT Id FROM User WHERE", "MALFORMED_QUERY", "unexpected token: <EOF>"),
    ("SELECT Id FROM User WHERE Name = 'x\\q'", "MALFORMED_QUERY", "Illegal character sequence"),
])
def test_soql_errors_are_worded_as_salesforce_words_them(running, soql, code, words):
    with pytest.raises(SalesforceMalformedRequest) as caught:
        login(running).query(soql)
    [error] = caught.value.content
    assert error["errorCode"] == code and words in error["message"]
    if code != "MALFORMED_QUERY" or "EOF" in words:
        assert "ERROR at Row:1:Column:" in error["message"]


def test_setup_objects_need_view_setup():
    with SalesforceSandbox.run_in_thread() as sandbox:
        sandbox.patch_org({"permissionSets": {"Qualtrics_Preflight": {"userPermissions": {"ViewSetup": False}}}})
        sf = login(sandbox)
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.query("SELECT Id FROM ObjectPermissions")
        assert caught.value.content[0]["errorCode"] == "INVALID_TYPE"
        assert records(sf, "SELECT IsSandbox FROM Organization") == [{"IsSandbox": True}]


def test_like_order_by_offset_and_count(running):
    sf = login(running)
    rows = records(sf, "SELECT SobjectType FROM ObjectPermissions WHERE SobjectType LIKE 'C%' "
                       "AND (PermissionsCreate = true OR PermissionsViewAllRecords = true) "
                       "ORDER BY SobjectType DESC LIMIT 5 OFFSET 1")
    assert [r["SobjectType"] for r in rows] == ["Case"]  # Contact, Case: the offset skips Contact
    assert sf.query("SELECT COUNT() FROM PermissionSet")["totalSize"] == 3


@pytest.mark.parametrize(("patch", "field"), [
    ({"Qualtrics_Integration": {"objectPermissions": {"Contact": {"ViewAllRecords": False}}}},
     "permissionSets.Qualtrics_Integration.objectPermissions.Contact.ModifyAllRecords"),
    ({"Qualtrics_Integration": {"fieldPermissions": {"Account.Name": {"Read": True}}}},
     "permissionSets.Qualtrics_Integration.fieldPermissions.Account.Name"),
    ({"Qualtrics_Integration": {"fieldPermissions": {"Case.Subject": {"Read": False, "Edit": True}}}},
     "permissionSets.Qualtrics_Integration.fieldPermissions.Case.Subject.Edit"),
])
def test_patches_that_break_salesforces_permission_rules_are_refused_naming_the_field(running, patch, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        running.patch_org({"permissionSets": patch})


def test_a_field_without_read_has_no_row_and_is_hidden_from_the_describe():
    with SalesforceSandbox.run_in_thread() as sandbox:
        sandbox.patch_org({"permissionSets": {"Qualtrics_Integration": {"fieldPermissions": {
            "Case.Subject": {"Read": False, "Edit": False}}}}})
        sf = login(sandbox)
        assert records(sf, "SELECT Field FROM FieldPermissions WHERE Field = 'Case.Subject'") == []
        assert "Subject" not in {f["name"] for f in sf.Case.describe()["fields"]}


def test_each_org_is_patched_through_its_own_control_route(running):
    session = build_session(running.ca_path, 10, LOOPBACK)
    orgs = session.get(f"{running.login_url}/_sandbox/orgs", timeout=10).json()
    assert {(o["organizationId"], o["isSandbox"], o["primary"]) for o in orgs} == {
        (running.org["organizationId"], True, True), (running.production_org_id, False, False)}
    patched = session.patch(f"{running.login_url}/_sandbox/orgs/{running.production_org_id}",
                            json={"limits": {"DailyApiRequests": 100}}, timeout=10)
    assert patched.status_code == 200 and patched.json()["limits"] == {"DailyApiRequests": 100}
    refused = session.patch(f"{running.login_url}/_sandbox/orgs/{running.production_org_id}",
                            json={"isSandbox": "yes"}, timeout=10)
    assert refused.status_code == 422 and "isSandbox" in refused.json()["message"]


def test_global_describe_lists_the_objects_the_user_can_read(running):
    sf = login(running)
    names = {s["name"] for s in sf.describe()["sobjects"]}
    assert {"Account", "Contact", "Case"} <= names and "Opportunity" not in names  # no Read on Opportunity
    assert sf.Contact.metadata()["objectDescribe"]["createable"] is True
