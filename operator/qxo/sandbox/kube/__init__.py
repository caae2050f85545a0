"""`qxo sandbox kube`: an in-memory Kubernetes API server over real HTTP, for trying and testing qxo."""

from qxo.sandbox.kube.server import Handle, KubeSandbox

__all__ = ["Handle", "KubeSandbox"]
