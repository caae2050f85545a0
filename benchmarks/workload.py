"""The benchmark workload: one QualtricsBrand and N-1 installs, accounts and grants, with the writes they need.

Installs use the brand sandbox's synthetic first-party extensions (`bench-001`, ...: no terms, domains
editable) so any N fits the catalog. Every group of five resources is one install with two accounts and
a grant for each, which is how a real brand looks: few installs, several accounts per install.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness import GROUPS, NAMESPACE, USERS

API = "qxo.dev/v1alpha1"
# Install (PUT installation) + PutDomains (the declared domain is not the default) + PutEnablement.
WRITES = {"ExtensionInstall": 3, "ExtensionAccount": 1, "AccountGrant": 1, "QualtricsBrand": 0}


def _meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, **extra}


def _secret_meta(name: str) -> dict[str, Any]:
    """A Secret's metadata: labelled, since the operator reads only Secrets that opt in."""
    return _meta(name, labels={"qxo.dev/credentials": "true"})


def brand(base_url: str, token: str, *, budget: int | None, resync: str) -> list[dict[str, Any]]:
    """The QualtricsBrand and its token; `budget` is spec.rateLimit.requestsPerMinute (None: the default)."""
    spec: dict[str, Any] = {"brandId": "acme", "baseURL": base_url, "resyncInterval": resync,
                            "credentials": {"type": "APIToken",
                                            "apiTokenSecretRef": {"name": "acme-api-token", "key": "token"}}}
    if budget:
        spec["rateLimit"] = {"requestsPerMinute": budget}
    return [{"apiVersion": "v1", "kind": "Secret", "metadata": _secret_meta("acme-api-token"), "type": "Opaque",
             "stringData": {"token": token}},
            {"apiVersion": API, "kind": "QualtricsBrand", "metadata": _meta("acme"), "spec": spec}]


def install(i: int) -> dict[str, Any]:
    return {"apiVersion": API, "kind": "ExtensionInstall", "metadata": _meta(f"bench-{i:03d}"),
            "spec": {"brandRef": {"name": "acme"}, "extensionId": f"bench-{i:03d}",
                     "domains": [f"https://svc{i:03d}.bench.example"],
                     "enablement": {"groups": [GROUPS[i % len(GROUPS)]]}}}


def account(i: int, suffix: str, secret_value: str) -> list[dict[str, Any]]:
    name = f"bench-{i:03d}-{suffix}"
    return [{"apiVersion": "v1", "kind": "Secret", "metadata": _secret_meta(f"{name}-credentials"), "type": "Opaque",
             "stringData": {"apiKey": secret_value}},
            {"apiVersion": API, "kind": "ExtensionAccount", "metadata": _meta(name),
             "spec": {"installRef": {"name": f"bench-{i:03d}"}, "displayName": f"Bench account {i:03d} {suffix}",
                      "credentials": {"secretRef": {"name": f"{name}-credentials"}}}}]


def grant(i: int, suffix: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"accountRef": {"name": f"bench-{i:03d}-{suffix}"}}
    if suffix == "a":
        spec["users"] = [{"user": USERS[i % len(USERS)], "access": "User"}]
    else:
        spec["groups"] = [{"group": GROUPS[i % len(GROUPS)], "access": "User"}]
    return {"apiVersion": API, "kind": "AccountGrant", "metadata": _meta(f"bench-{i:03d}-{suffix}"), "spec": spec}


@dataclass
class Workload:
    documents: list[dict[str, Any]] = field(default_factory=list)
    installs: int = 0
    secrets: dict[str, str] = field(default_factory=dict)  # Secret name -> the credential value inside

    @property
    def resources(self) -> list[dict[str, Any]]:
        return [d for d in self.documents if d["kind"] != "Secret"]

    @property
    def keys(self) -> set[tuple[str, str]]:
        return {(d["kind"], d["metadata"]["name"]) for d in self.resources}

    @property
    def changes_needed(self) -> int:
        return sum(WRITES[d["kind"]] for d in self.resources)


def generate(n: int, base_url: str, token: str, *, budget: int | None = None, resync: str = "30s",
             secret_prefix: str = "FAKE-bench") -> Workload:
    """N resources in all (the brand included), in dependency order."""
    work = Workload(documents=brand(base_url, token, budget=budget, resync=resync))
    count, i = 1, 0
    while count < n:
        i += 1
        work.installs = i
        work.documents.append(install(i))
        count += 1
        for suffix in ("a", "b"):
            for kind in ("account", "grant"):
                if count >= n:
                    break
                if kind == "account":
                    value = f"{secret_prefix}-{i:03d}-{suffix}-value"
                    documents = account(i, suffix, value)
                    work.secrets[documents[0]["metadata"]["name"]] = value
                    work.documents += documents
                else:
                    work.documents.append(grant(i, suffix))
                count += 1
    return work


# -- SalesforceLinks: one per owner (the brand keeps one connection per owner and org) ---------------

SALESFORCE_CA = "salesforce-ca"
SALESFORCE_CLIENT = "salesforce-connected-app"


def link_name(owner: str) -> str:
    return "sf-" + owner.split("@", 1)[0].replace(".", "-")


def salesforce_shared(client_id: str, client_secret: str, ca_pem: str) -> list[dict[str, Any]]:
    """The connected app's Secret and the CA bundle every link trusts the org with."""
    return [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(SALESFORCE_CA), "data": {"ca.crt": ca_pem}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": _secret_meta(SALESFORCE_CLIENT), "type": "Opaque",
             "stringData": {"client_id": client_id, "client_secret": client_secret}}]


def salesforce_link(owner: str, login_url: str, refresh_token: str) -> list[dict[str, Any]]:
    """The owner's refresh-token Secret and a link whose requirements the sandbox org's seed meets."""
    name = link_name(owner)
    # The Salesforce sandbox's primary org is a Sandbox org (Organization.IsSandbox): the environment must say so.
    spec = {"brandRef": {"name": "acme"}, "owner": owner, "environment": "Sandbox", "loginURL": login_url,
            "oauth": {"clientSecretRef": {"name": SALESFORCE_CLIENT},
                      "refreshTokenSecretRef": {"name": f"{name}-refresh-token"}},
            "requirements": {"objects": [{"name": "Contact", "access": ["ViewAll", "ModifyAll", "Create"]}],
                             "fields": [{"object": "Contact", "field": "Email", "access": "Edit"}],
                             "recordTypes": [{"object": "Case", "developerName": "Support_Case"}]},
            "caBundleRef": {"kind": "ConfigMap", "name": SALESFORCE_CA, "key": "ca.crt"}}
    return [{"apiVersion": "v1", "kind": "Secret", "metadata": _secret_meta(f"{name}-refresh-token"), "type": "Opaque",
             "stringData": {"refresh_token": refresh_token}},
            {"apiVersion": API, "kind": "SalesforceLink", "metadata": _meta(name), "spec": spec}]
