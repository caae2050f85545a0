"""Build a Kubernetes API client the same way kopf logs in (in-cluster first, else the kubeconfig), and call
a route with it as JSON.

The generated API classes (`CoreV1Api`, `CustomObjectsApi`) are not used: loading them and their models
costs ~1.4 s of CPU on the operator's event loop at start-up, and decoding each answer into models costs
again per call, for a few routes whose JSON is read here directly.
"""

from __future__ import annotations

import json
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException


def api_client() -> k8s.ApiClient:
    try:
        k8s_config.load_incluster_config()
        return k8s.ApiClient()
    except k8s_config.ConfigException:
        return k8s_config.new_client_from_config()


def call_json(api: Any, method: str, path: str, path_params: dict[str, str], body: Any = None,
              content_type: str = "application/json", query: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """One API call through `api` (auth, TLS and kubeconfig as configured); ApiException when not 2xx."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = content_type
    request = api.param_serialize(method, path, path_params=path_params, query_params=query or [],
                                  header_params=headers, body=body, auth_settings=["BearerToken"])
    response = api.call_api(*request)
    response.read()
    if not 200 <= response.status <= 299:
        # The body is the API server's Status: it names the object, never a Secret's values.
        raise ApiException(http_resp=response)
    return json.loads(response.data)
