"""Build a Kubernetes API client the same way kopf logs in: in-cluster first, else the kubeconfig."""

from __future__ import annotations

from kubernetes import client as k8s
from kubernetes import config as k8s_config


def api_client() -> k8s.ApiClient:
    try:
        k8s_config.load_incluster_config()
        return k8s.ApiClient()
    except k8s_config.ConfigException:
        return k8s_config.new_client_from_config()
