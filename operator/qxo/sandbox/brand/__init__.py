"""The brand sandbox: qxo's modelled brand API plus v3 whoami/users/groups, in SQLite, for trying and testing.

    from qxo.sandbox.brand import BrandSandbox
"""

from qxo.sandbox.brand.server import BrandSandbox

__all__ = ["BrandSandbox"]
