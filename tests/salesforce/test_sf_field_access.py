"""Field access as Salesforce computes it, the environment against the org, and SOQL literals read back exactly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qxo.salesforce import FieldRequirement, ObjectRequirement, Requirements, SalesforceConnection, run_preflight
from qxo.salesforce.soql import soql_literal
from qxo.sandbox.salesforce.soql import parse


def by_name(checks):
    return {c.name: c for c in checks}


def fields(*specs: str) -> Requirements:
    """Requirements from doctor-style specs such as Account.Name:Read,Edit."""
    declared = []
    for spec in specs:
        qualified, access = spec.split(":")
        sobject, field = qualified.split(".")
        declared.append(FieldRequirement(sobject, field, tuple(access.split(","))))
    return Requirements(fields=tuple(declared))


async def test_a_required_field_passes_without_any_field_permissions_row(connection):
    # Account.Name is required: Salesforce keeps no FieldPermissions for it, yet it is readable and writable.
    check = by_name(await run_preflight(connection, fields("Account.Name:Read,Edit")))["FieldAccess"]
    assert check.result == "Passed", check.message
    assert "always readable and writable" in check.message


async def test_field_access_is_decided_without_view_setup(sandbox, connection):
    sandbox.patch_org({"permissionSets": {"Qualtrics_Preflight": {"userPermissions": {"ViewSetup": False}}}})
    checks = by_name(await run_preflight(connection, fields("Account.Name:Read,Edit", "Contact.Email:Edit")))
    assert checks["FieldAccess"].result == "Passed", checks["FieldAccess"].message


async def test_the_preflight_fails_on_field_read_alone(sandbox, connection):
    sandbox.patch_org({"permissionSets": {"Qualtrics_Integration": {"fieldPermissions": {
        "Contact.Email": {"Edit": False}}}}})
    check = by_name(await run_preflight(connection, fields("Contact.Email:Edit")))["FieldAccess"]
    assert check.result == "Failed"
    assert "Edit Access on Contact.Email" in check.message


async def test_a_field_hidden_by_field_level_security_lacks_read(connection):
    check = by_name(await run_preflight(connection, fields("Contact.Phone:Read")))["FieldAccess"]
    assert check.result == "Failed"
    assert "Read Access on Contact.Phone" in check.message and "field-level security" in check.message


async def test_edit_on_a_formula_or_audit_field_can_never_pass(connection):
    check = by_name(await run_preflight(connection, fields("Contact.Score_Band__c:Edit", "Account.CreatedDate:Edit")))
    assert check["FieldAccess"].result == "Failed"
    assert "Contact.Score_Band__c (Salesforce makes it read-only" in check["FieldAccess"].message
    assert "Account.CreatedDate (Salesforce makes it read-only" in check["FieldAccess"].message


async def test_fields_of_an_object_the_user_cannot_read_fail(sandbox, connection):
    check = by_name(await run_preflight(connection, fields("Opportunity.Name:Read")))["FieldAccess"]
    assert check.result == "Failed" and "Read on Opportunity" in check.message


async def test_the_preflight_fails_on_modify_all_alone(sandbox, connection):
    # Modify All (with the Read, Edit, Delete and View All it needs) but no Create: the seed's
    # requirements for an object Qualtrics updates and inserts are not met.
    sandbox.patch_org({"permissionSets": {"Qualtrics_Integration": {"objectPermissions": {
        "Contact": {"Create": False}}}}})
    requirements = Requirements(objects=(ObjectRequirement("Contact", ("ModifyAll", "Create")),))
    check = by_name(await run_preflight(connection, requirements))["ObjectAccess"]
    assert check.result == "Failed"
    assert "Create on Contact" in check.message and "Modify All" not in check.message.split("lacks")[1]


@pytest.mark.parametrize(("environment", "patch", "verdict"), [
    ("Sandbox", None, "Passed"),
    ("Production", None, "Failed"),
    ("Sandbox", {"isSandbox": False}, "Failed"),
    ("Production", {"isSandbox": False}, "Passed"),
])
async def test_the_declared_environment_is_compared_with_organization_is_sandbox(
        sandbox, make_settings, environment, patch, verdict):
    if patch:
        sandbox.patch_org(patch)
    connection = SalesforceConnection(make_settings(sandbox, environment=environment))
    try:
        check = by_name(await run_preflight(connection, Requirements()))["Environment"]
    finally:
        connection.close()
    assert check.result == verdict
    assert "Organization.IsSandbox" in check.message
    if verdict == "Failed":
        assert f"declares a {environment} org" in check.message


async def test_the_production_twin_is_a_production_org(sandbox, make_settings):
    connection = SalesforceConnection(make_settings(
        sandbox, environment="Production", refresh_token=sandbox.credentials["production"]["refresh_token"]))
    try:
        checks = by_name(await run_preflight(connection, Requirements()))
    finally:
        connection.close()
    assert checks["Environment"].result == "Passed" and sandbox.production_org_id in checks["Environment"].message


async def test_a_connected_app_name_with_quotes_and_backslashes_is_queried_literally(sandbox, connection):
    name = "Qualtrics 'Surveys' \\ \"EU\"\n"
    sandbox.patch_org({"connectedApps": {name: dict(sandbox.org["connectedApps"]["Qualtrics Surveys"])}})
    checks = by_name(await run_preflight(connection, Requirements(connected_app=name)))
    assert checks["PermittedUsers"].result == "Passed", checks["PermittedUsers"].message


@pytest.mark.parametrize(("value", "literal"), [
    ("O'Brien", r"'O\'Brien'"),
    ("back\\slash", r"'back\\slash'"),
    ('say "hi"', r"""'say \"hi\"'"""),
    ("a\nb\rc\td\be\ff", r"'a\nb\rc\td\be\ff'"),
    ("bell\x07", r"'bell\u0007'"),
    ("100% _ok_", "'100% _ok_'"),
])
def test_soql_literals_escape_what_salesforce_lists(value, literal):
    assert soql_literal(value) == literal


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_any_string_reads_back_exactly_through_the_sandboxes_soql_parser(value):
    query = parse(f"SELECT Id FROM ConnectedApplication WHERE Name = {soql_literal(value)}")
    assert query.where == ("=", "Name", value)
