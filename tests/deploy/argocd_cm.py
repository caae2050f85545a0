"""Generates manifests/argocd/argocd-cm.yaml from qxo-health.lua, the one source of the check.

Run `python tests/deploy/argocd_cm.py` after editing the Lua; a test fails while the
ConfigMap and the Lua disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

ARGOCD = Path(__file__).resolve().parents[2] / "manifests" / "argocd"
KINDS = ["QualtricsBrand", "ExtensionInstall", "ExtensionAccount", "AccountGrant", "SalesforceLink"]
HEADER = """\
# Generated from qxo-health.lua by `python tests/deploy/argocd_cm.py`: edit the Lua, then
# regenerate. Merge into your ArgoCD install's argocd-cm, e.g.
#   kubectl -n argocd patch configmap argocd-cm --patch-file manifests/argocd/argocd-cm.yaml
# One script serves the five qxo.dev kinds; it needs no extra Lua libraries (no useOpenLibs).
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
"""


def health_key(kind: str) -> str:
    return f"resource.customizations.health.qxo.dev_{kind}"


def render(lua_source: str) -> str:
    body = "".join(f"    {line}\n" if line else "\n" for line in lua_source.rstrip("\n").split("\n"))
    return HEADER + "".join(f"  {health_key(kind)}: |\n{body}" for kind in KINDS)


def main() -> int:
    lua_source = (ARGOCD / "qxo-health.lua").read_text()
    (ARGOCD / "argocd-cm.yaml").write_text(render(lua_source))
    return 0


if __name__ == "__main__":
    sys.exit(main())
