"""A fresh HTTPS sandbox org per test, and a client configured against it."""

from __future__ import annotations

import pytest

from qxo.salesforce import (
    ConnectionSettings,
    FieldRequirement,
    ObjectRequirement,
    RecordTypeRequirement,
    Requirements,
    RetryPolicy,
    SalesforceConnection,
)
from qxo.sandbox.salesforce import SalesforceSandbox
from qxo.trust.endpoints import Allowlist

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)

# The seed's example requirements; the default sandbox org satisfies every one.
SEED_REQUIREMENTS = Requirements(
    objects=(
        ObjectRequirement("Contact", ("ViewAll", "ModifyAll", "Create")),
        ObjectRequirement("Case", ("Create",)),
    ),
    fields=(
        FieldRequirement("Contact", "Email", ("Read", "Edit")),
        FieldRequirement("Case", "Subject", ("Edit",)),
    ),
    record_types=(RecordTypeRequirement("Case", "Support_Case"),),
)


def settings_for(sandbox: SalesforceSandbox, **overrides) -> ConnectionSettings:
    creds = sandbox.credentials
    values = {
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "refresh_token": creds["refresh_token"],
        "login_url": creds["login_url"],
        "environment": "Sandbox",  # the sandbox's primary org is a Sandbox org (Organization.IsSandbox)
        "ca_bundle": sandbox.ca_path,
        "retry": FAST_RETRY,
        "allowlist": Allowlist.with_defaults(["127.0.0.1"]),  # the sandbox org listens on 127.0.0.1
    }
    values.update(overrides)
    return ConnectionSettings(**values)


@pytest.fixture
async def sandbox():
    sb = SalesforceSandbox()
    await sb.start(host="127.0.0.1", port=0)
    try:
        yield sb
    finally:
        await sb.stop()


@pytest.fixture
def settings(sandbox) -> ConnectionSettings:
    return settings_for(sandbox)


@pytest.fixture
def connection(settings):
    conn = SalesforceConnection(settings)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def make_settings():
    return settings_for


@pytest.fixture
def seed_requirements() -> Requirements:
    return SEED_REQUIREMENTS
