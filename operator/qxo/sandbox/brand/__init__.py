"""The brand sandbox: qxo's modelled brand API plus v3 whoami/users/groups, in SQLite, for trying and testing.

    from qxo.sandbox.brand import BrandSandbox
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qxo.sandbox.brand.server import BrandSandbox

__all__ = ["BrandSandbox"]


def __getattr__(name: str):
    # The server is imported on first use: `qxo --help` imports this package (for `cli`) and must not pay for it.
    if name == "BrandSandbox":
        from qxo.sandbox.brand.server import BrandSandbox

        return BrandSandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
