"""A Salesforce org to try and test qxo against: a real HTTPS server with a CA from trustme.

    sb = SalesforceSandbox(org=None, token_lifetime_seconds=3600)
    await sb.start(host="127.0.0.1", port=0)
    sb.login_url, sb.instance_url, sb.ca_path, sb.credentials
    await sb.stop()

or `with SalesforceSandbox.run_in_thread() as sb: ...` from synchronous code. For testing only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qxo.sandbox.salesforce.org import default_org

if TYPE_CHECKING:
    from qxo.sandbox.salesforce.server import SalesforceSandbox

__all__ = ["SalesforceSandbox", "default_org"]


def __getattr__(name: str):
    # Imported on first use: `qxo --help` imports this package (for `cli`) and must not pay for aiohttp and trustme.
    if name == "SalesforceSandbox":
        from qxo.sandbox.salesforce.server import SalesforceSandbox

        return SalesforceSandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
