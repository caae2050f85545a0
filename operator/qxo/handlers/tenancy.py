"""Namespaces and ExtensionPolicies: noted for the tenancy backstop (qxo.reconcile.tenancy), never reconciled.

Both are kopf indexes as well as event handlers: kopf runs no other handler until every index has been
listed, so no object converges at start-up before the policies and the namespace labels that judge it
are known (a policy seen late would let a forbidden write through). The index keeps nothing; the event
handler notes changes and deletions, and wakes the objects a change concerns.
"""

from __future__ import annotations

import kopf

from qxo import API_GROUP, API_VERSION


@kopf.index("", "v1", "namespaces", id="namespace-labels")
async def namespace_listed(name: str, body: kopf.Body, memo: kopf.Memo, **_) -> None:
    memo.runtime.saw_namespace(name, body)


@kopf.on.event("", "v1", "namespaces", id="namespaces-seen")
async def namespace_seen(name: str, body: kopf.Body, type: str | None, memo: kopf.Memo, **_) -> None:
    memo.runtime.saw_namespace(name, None if type == "DELETED" else body)


@kopf.index(API_GROUP, API_VERSION, "extensionpolicies", id="extension-policies")
async def policy_listed(name: str, body: kopf.Body, memo: kopf.Memo, **_) -> None:
    memo.runtime.saw_policy(name, body)


@kopf.on.event(API_GROUP, API_VERSION, "extensionpolicies", id="extensionpolicies-seen")
async def policy_seen(name: str, body: kopf.Body, type: str | None, memo: kopf.Memo, **_) -> None:
    memo.runtime.saw_policy(name, None if type == "DELETED" else body)
