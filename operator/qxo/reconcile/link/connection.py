"""A SalesforceLink's brand side: the Salesforce connection registered under its owner in the brand.

A connection's natural key is (owner, org): the brand keeps one per pair, so an existing one is adopted.
A changed owner is a new connection (the seed: collaborators re-authenticate), and the previous owner's
goes per deletionPolicy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qxo.qualtrics.models import SalesforceConnection
from qxo.reconcile.session import BrandSession


@dataclass(frozen=True)
class CreateConnection:
    user_id: str
    owner: str
    name: str
    environment: str
    instance_url: str
    org_id: str
    credentials: dict[str, str] = field(repr=False, compare=False, hash=False)
    client_request_id: str = ""

    def describe(self) -> str:
        return f"registered a {self.environment} Salesforce connection for {self.owner}"


@dataclass(frozen=True)
class UpdateConnection:
    user_id: str
    connection_id: str
    name: str
    environment: str
    instance_url: str
    org_id: str
    credentials: dict[str, str] | None = field(default=None, repr=False, compare=False, hash=False)

    def describe(self) -> str:
        what = "credentials and details" if self.credentials is not None else "details"
        return f"updated the {what} of Salesforce connection {self.connection_id}"


@dataclass(frozen=True)
class DeleteConnection:
    user_id: str
    connection_id: str

    def describe(self) -> str:
        return f"removed Salesforce connection {self.connection_id} of its previous owner"


def plan_connection(*, name: str, owner: str, owner_id: str, environment: str, instance_url: str, org_id: str,
                    existing: SalesforceConnection | None, previous: SalesforceConnection | None,
                    credentials: dict[str, str], credentials_changed: bool, request_id: str,
                    delete_previous: bool) -> tuple[Any, ...]:
    """Create under the owner, or update; a changed owner is a new connection (the seed: collaborators
    re-authenticate), and the previous owner's connection goes per deletionPolicy."""
    actions: list[Any] = []
    if existing is None:
        actions.append(CreateConnection(owner_id, owner, name, environment, instance_url, org_id, credentials,
                                        request_id))
    elif (existing.instance_url, existing.org_id, existing.environment, existing.name) != \
            (instance_url, org_id, environment, name) or credentials_changed:
        actions.append(UpdateConnection(owner_id, existing.id, name, environment, instance_url, org_id,
                                        credentials if credentials_changed else None))
    if previous is not None and delete_previous:
        actions.append(DeleteConnection(previous.user_id, previous.id))
    return tuple(actions)


async def apply_connection(session: BrandSession, action: Any) -> SalesforceConnection | None:
    client = session.client
    if isinstance(action, CreateConnection):
        created = await client.create_salesforce_connection(
            action.user_id, name=action.name, environment=action.environment, instance_url=action.instance_url,
            org_id=action.org_id, credentials=action.credentials, client_request_id=action.client_request_id)
        session.fold("connections", created.id, created)
        return created
    if isinstance(action, UpdateConnection):
        updated = await client.update_salesforce_connection(
            action.user_id, action.connection_id, name=action.name, environment=action.environment,
            instance_url=action.instance_url, org_id=action.org_id, credentials=action.credentials)
        session.fold("connections", updated.id, updated)
        return updated
    await client.delete_salesforce_connection(action.user_id, action.connection_id)
    session.fold("connections", action.connection_id, None)
    return None
