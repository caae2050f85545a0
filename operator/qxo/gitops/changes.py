"""The plan's vocabulary: one resource's changes, readable (`+`/`-`/`~`) and as stable JSON.

Turns the operator's actions (qxo.reconcile) into changes that name users, groups and Secrets
rather than brand ids; what to change is decided by the operator's plan functions, never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qxo.qualtrics.models import Enablement, Extension
from qxo.reconcile import account as accounts
from qxo.reconcile import grant as grants
from qxo.reconcile import install as installs

SIGNS = {"add": "+", "remove": "-", "update": "~"}


@dataclass(frozen=True)
class Change:
    op: str                 # add | remove | update
    field: str              # what changes, e.g. "domains", "access.users"
    value: Any              # JSON: a string or a small object, never a secret
    description: str        # readable, without the sign

    def as_json(self) -> dict[str, Any]:
        return {"op": self.op, "field": self.field, "value": self.value, "description": self.description}

    def display(self) -> str:
        return f"{SIGNS[self.op]} {self.description}"


@dataclass
class ResourcePlan:
    kind: str
    namespace: str
    name: str
    action: str = "none"            # create | update | none | refused | blocked
    changes: list[Change] = field(default_factory=list)
    applied: bool = True            # False: paused or ObserveOnly, the operator would only report the drift
    note: str | None = None
    error: dict[str, str] | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name, "action": self.action,
                "applied": self.applied, "note": self.note, "error": self.error,
                "changes": [change.as_json() for change in self.changes]}


@dataclass(frozen=True)
class Names:
    """Brand ids back to the names manifests use."""

    users: dict[str, str]
    groups: dict[str, str]

    def user(self, user_id: str) -> str:
        return self.users.get(user_id, user_id)

    def group(self, group_id: str) -> str:
        return self.groups.get(group_id, group_id)


def install_changes(action: installs.Action, extension: Extension | None, names: Names) -> list[Change]:
    if isinstance(action, installs.Install):
        what = f"install {extension.name} ({action.extension_id})" if extension else f"install {action.extension_id}"
        if extension is not None:
            what += f" by {extension.publisher}"
        notes = [n for n, on in (("terms accepted", action.accept_terms), ("preview opted in", action.preview_opt_in))
                 if on]
        return [Change("add", "installed", action.extension_id, what + (f" ({', '.join(notes)})" if notes else ""))]
    if isinstance(action, installs.PutDomains):
        return [Change("add", "domains", d, f"domain {d}") for d in action.added] + \
               [Change("remove", "domains", d, f"domain {d}") for d in action.removed]
    if isinstance(action, installs.PutEnablement):
        current = (extension.enablement if extension is not None and extension.installed else None) or Enablement()
        return enablement_changes(current, action.enablement, names)
    return [Change("remove", "installed", action.extension_id,
                   f"uninstall {action.extension_id} (revokes access for every user)")]


def reach_changes(extension: Extension, declared: frozenset[str] | None) -> list[Change]:
    """The domains a new install will reach: the declared list, or the catalog's defaults when `domains` is left
    out; none listed means every domain is blocked (the seed's "Attention")."""
    domains = sorted(extension.default_domains if declared is None else declared)
    source = "the catalog's default" if declared is None else "declared"
    if not domains:
        return [Change("add", "domains", None, "reaches no domain (none listed: all domains are blocked)")]
    return [Change("add", "domains", d, f"domain {d} ({source})") for d in domains]


def enablement_changes(current: Enablement, desired: Enablement, names: Names) -> list[Change]:
    changes = []
    if current.all_users != desired.all_users:
        changes.append(Change("update", "enablement.allUsers", {"from": current.all_users, "to": desired.all_users},
                              f"enabled for all users: {str(current.all_users).lower()} -> "
                              f"{str(desired.all_users).lower()}"))
    for label, have, want, name_of in (("users", current.users, desired.users, names.user),
                                       ("groups", current.groups, desired.groups, names.group)):
        singular = label[:-1]
        for op, ids in (("add", set(want) - set(have)), ("remove", set(have) - set(want))):
            for name in sorted(name_of(i) for i in ids):
                verb = "enable for" if op == "add" else "disable for"
                changes.append(Change(op, f"enablement.{label}", name, f"{verb} {singular} {name}"))
    return changes


def account_changes(action: accounts.Action, current_name: str | None, secret: str,
                    keys: list[str] | None) -> list[Change]:
    if isinstance(action, accounts.CreateAccount):
        which = f" (keys {', '.join(keys)})" if keys else ""
        return [Change("add", "account", action.name, f"create account {action.name!r} of {action.extension_id}"),
                Change("add", "credentials", {"secret": secret, "keys": keys},
                       f"apply credentials from Secret {secret}{which}")]
    if isinstance(action, accounts.RenameAccount):
        return [Change("update", "displayName", {"from": current_name, "to": action.name},
                       f"rename account {current_name!r} -> {action.name!r}")]
    if isinstance(action, accounts.DeleteAccount):
        return [Change("remove", "account", current_name, f"delete account {current_name!r}")]
    # RotateCredentials: plan cannot see which Secret version the brand has, so it never plans one.
    return []


def _principal(entry: str, names: Names) -> tuple[str, str, str]:
    """(field, name, level) of an entry such as `user:UR_1=Owner` or `allUsers=User`."""
    who, level = entry.rsplit("=", 1)
    if who == "allUsers":
        return "access.allUsers", "all users", level
    kind, ident = who.split(":", 1)
    if kind == "user":
        return "access.users", names.user(ident), level
    return "access.groups", names.group(ident), level


def access_changes(action: grants.PutAccess, names: Names) -> list[Change]:
    added = {(f, n): lvl for f, n, lvl in (_principal(e, names) for e in action.added)}
    removed = {(f, n): lvl for f, n, lvl in (_principal(e, names) for e in action.removed)}
    changes = []
    for key in sorted(added.keys() | removed.keys()):
        field_name, who = key
        label = who if field_name == "access.allUsers" else f"{field_name.split('.')[1][:-1]} {who}"
        subject = {"access.users": "user", "access.groups": "group"}.get(field_name)
        if key in added and key in removed:
            value = {"from": removed[key], "to": added[key]}
            changes.append(Change("update", field_name, {subject: who, **value} if subject else value,
                                  f"{label}: {removed[key]} -> {added[key]}"))
        else:
            op, level = ("add", added[key]) if key in added else ("remove", removed[key])
            value = {subject: who, "access": level} if subject else {"access": level}
            changes.append(Change(op, field_name, value, f"{label}: {level}"))
    return changes
