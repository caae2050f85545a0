"""The namespace the operator runs in, which holds the credentials of the brands the platform team shares."""

from __future__ import annotations

import os
from pathlib import Path

# Where a pod's ServiceAccount token is mounted, with the pod's namespace next to it.
SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
# Where the shipped manifests and the chart's defaults run the operator.
DEFAULT_NAMESPACE = "qxo-system"


def own_namespace(environ: dict[str, str] | None = None, mounted: Path = SERVICE_ACCOUNT_NAMESPACE) -> str:
    """POD_NAMESPACE when set (the downward API), else the mounted ServiceAccount's, else qxo-system."""
    environ = os.environ if environ is None else environ
    if environ.get("POD_NAMESPACE"):
        return environ["POD_NAMESPACE"]
    try:
        found = mounted.read_text().strip()
    except OSError:
        found = ""
    return found or DEFAULT_NAMESPACE
