"""`qxo sandbox kube`: an in-memory Kubernetes API server over real HTTP, for trying and testing qxo."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qxo.sandbox.kube.server import Handle, KubeSandbox

__all__ = ["Handle", "KubeSandbox"]


def __getattr__(name: str):
    # The server is imported on first use: `qxo --help` imports this package (for `cli`) and must not pay for it.
    if name in __all__:
        from qxo.sandbox.kube import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
