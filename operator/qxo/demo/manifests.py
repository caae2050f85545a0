"""crds/ and examples/ from the repository, with examples/ rewritten to point at the sandboxes.

The examples name a real datacenter and obviously fake credentials; for the demo the brand is the
brand sandbox (its URL, its brand admin's token) and Salesforce is the Salesforce sandbox (its
login URL, its connected app and refresh token, its CA in a ConfigMap).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

import qxo
from qxo.demo.children import DemoError
from qxo.demo.sandboxes import NAMESPACE, OPERATOR_USER, Endpoints

SALESFORCE_CA_CONFIGMAP = "salesforce-sandbox-ca"
SALESFORCE_CA_KEY = "ca.crt"


def repository_root() -> Path:
    """The checkout holding crds/ and examples/ (the package lives in operator/qxo/ inside it)."""
    candidates = [Path(qxo.__file__).resolve().parents[2], Path.cwd()]
    for root in candidates:
        if (root / "crds").is_dir() and (root / "examples").is_dir():
            return root
    raise DemoError("qxo demo needs crds/ and examples/ from a qxo checkout; run it from the repository "
                    f"(looked in {', '.join(str(c) for c in candidates)})")


def _objects(path: Path) -> list[dict[str, Any]]:
    """The Kubernetes objects of a file; a kustomization.yaml (configuration, no metadata) is not one."""
    try:
        documents = list(yaml.safe_load_all(path.read_text()))
    except yaml.YAMLError as error:
        raise DemoError(f"{path.name}: not valid YAML: {error}") from None
    return [d for d in documents if isinstance(d, dict) and d.get("kind") != "Kustomization"
            and isinstance(d.get("metadata"), dict) and d["metadata"].get("name")]


def crds(root: Path) -> list[dict[str, Any]]:
    return [d for path in sorted((root / "crds").glob("*.yaml")) for d in _objects(path)
            if d["kind"] == "CustomResourceDefinition"]


def examples(root: Path) -> list[dict[str, Any]]:
    return [d for path in sorted((root / "examples").glob("*.yaml")) for d in _objects(path)]


def for_sandboxes(documents: list[dict[str, Any]], endpoints: Endpoints) -> list[dict[str, Any]]:
    """The examples as the sandboxes need them, plus the ConfigMap holding the Salesforce sandbox's CA."""
    rewritten = fill_secrets([_rewrite(copy.deepcopy(d), endpoints) for d in documents], endpoints)
    if any(d["kind"] == "SalesforceLink" for d in rewritten):
        ca = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": SALESFORCE_CA_CONFIGMAP, "namespace": NAMESPACE},
              "data": {SALESFORCE_CA_KEY: endpoints.salesforce_ca}}
        first_link = next(i for i, d in enumerate(rewritten) if d["kind"] == "SalesforceLink")
        rewritten.insert(first_link, ca)
    return rewritten


def _secret_refs(documents: list[dict[str, Any]]) -> dict[str, str]:
    """Secret name -> its role for the sandboxes, from how the examples reference it."""
    roles: dict[str, str] = {}
    for document in documents:
        spec = document.get("spec") or {}
        if document["kind"] == "QualtricsBrand":
            roles[spec["credentials"]["apiTokenSecretRef"]["name"]] = "brand-token"
        if document["kind"] == "SalesforceLink":
            roles[spec["oauth"]["clientSecretRef"]["name"]] = "salesforce-client"
            production = spec.get("environment") == "Production"
            roles[spec["oauth"]["refreshTokenSecretRef"]["name"]] = \
                "salesforce-refresh-production" if production else "salesforce-refresh"
    return roles


def _rewrite(document: dict[str, Any], endpoints: Endpoints) -> dict[str, Any]:
    spec = document.get("spec")
    if document["kind"] == "QualtricsBrand":
        spec.pop("datacenter", None)
        spec["baseURL"] = endpoints.brand_url
        spec["brandId"] = endpoints.brand["brand_id"]
    elif document["kind"] == "SalesforceLink":
        spec["loginURL"] = endpoints.salesforce["login_url"]
        spec["caBundleRef"] = {"kind": "ConfigMap", "name": SALESFORCE_CA_CONFIGMAP, "key": SALESFORCE_CA_KEY}
    return document


def fill_secrets(documents: list[dict[str, Any]], endpoints: Endpoints) -> list[dict[str, Any]]:
    """Put the sandboxes' real credentials into the Secrets the examples reference (keys as referenced)."""
    roles = _secret_refs(documents)
    keys = _referenced_keys(documents)
    sf = endpoints.salesforce
    values = {
        "brand-token": {"token": endpoints.brand_token(OPERATOR_USER)},
        "salesforce-client": {"client_id": sf["client_id"], "client_secret": sf["client_secret"]},
        # The sandbox serves a Sandbox org and its Production twin: each link logs in to the org of its environment.
        "salesforce-refresh": {"refresh_token": sf["refresh_token"]},
        "salesforce-refresh-production": {"refresh_token": sf["production"]["refresh_token"]},
    }
    for document in documents:
        if document["kind"] != "Secret":
            continue
        role = roles.get(document["metadata"]["name"])
        if role is None:
            continue
        by_default_key = values[role]
        mapping = keys.get(document["metadata"]["name"], {})
        document["stringData"] = {mapping.get(k, k): v for k, v in by_default_key.items()}
        document.pop("data", None)
    return documents


def _referenced_keys(documents: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Secret name -> {default key: the key the manifest actually names} (e.g. a custom tokenKey)."""
    keys: dict[str, dict[str, str]] = {}
    for document in documents:
        spec = document.get("spec") or {}
        if document["kind"] == "QualtricsBrand":
            ref = spec["credentials"]["apiTokenSecretRef"]
            keys.setdefault(ref["name"], {})["token"] = ref.get("key", "token")
        if document["kind"] == "SalesforceLink":
            client = spec["oauth"]["clientSecretRef"]
            keys.setdefault(client["name"], {}).update(client_id=client.get("clientIdKey", "client_id"),
                                                       client_secret=client.get("clientSecretKey", "client_secret"))
            refresh = spec["oauth"]["refreshTokenSecretRef"]
            keys.setdefault(refresh["name"], {})["refresh_token"] = refresh.get("key", "refresh_token")
    return keys
