"""The transport mapping: every brand operation's HTTP method and path template, in one place.

Extension administration has no public Qualtrics endpoint; the modelled routes below follow
qxo's contract (docs/brand-api.openapi.yaml). When Qualtrics publishes the real routes, this
table is the only thing to change: the client names operations, never paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

API_PREFIX = "/API/v3"
TOKEN_PATH = "/oauth2/token"


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    modelled: bool = True

    @property
    def is_read(self) -> bool:
        return self.method == "GET"

    def path(self, **params: str) -> str:
        # Quote every id so a hostile or malformed id can never change the route it addresses.
        return API_PREFIX + self.template.format(**{k: quote(str(v), safe="") for k, v in params.items()})


_EXT = "/brands/{brand_id}/extensions/{extension_id}"

ROUTES: dict[str, Route] = {
    "whoami": Route("GET", "/whoami", modelled=False),
    "list_users": Route("GET", "/users", modelled=False),
    "get_user": Route("GET", "/users/{user_id}", modelled=False),
    "list_groups": Route("GET", "/groups", modelled=False),
    "list_group_members": Route("GET", "/groups/{group_id}/members", modelled=False),
    "list_extensions": Route("GET", "/brands/{brand_id}/extensions"),
    "install": Route("PUT", _EXT + "/installation"),
    "uninstall": Route("DELETE", _EXT + "/installation"),
    "get_domains": Route("GET", _EXT + "/domains"),
    "put_domains": Route("PUT", _EXT + "/domains"),
    "get_enablement": Route("GET", _EXT + "/enablement"),
    "put_enablement": Route("PUT", _EXT + "/enablement"),
    "list_extension_accounts": Route("GET", _EXT + "/accounts"),
    "create_account": Route("POST", _EXT + "/accounts"),
    # Account ids are unique in the brand, so the client addresses an account without its
    # extension; the per-extension forms of these three routes exist too (same handlers).
    "get_account": Route("GET", "/brands/{brand_id}/accounts/{account_id}"),
    "update_account": Route("PATCH", "/brands/{brand_id}/accounts/{account_id}"),
    "delete_account": Route("DELETE", "/brands/{brand_id}/accounts/{account_id}"),
    "list_accounts": Route("GET", "/brands/{brand_id}/accounts"),
    "get_access": Route("GET", "/brands/{brand_id}/accounts/{account_id}/access"),
    "put_access": Route("PUT", "/brands/{brand_id}/accounts/{account_id}/access"),
    "list_salesforce_connections": Route("GET", "/users/{user_id}/salesforce-connections"),
    "create_salesforce_connection": Route("POST", "/users/{user_id}/salesforce-connections"),
    "get_salesforce_connection": Route("GET", "/users/{user_id}/salesforce-connections/{connection_id}"),
    "put_salesforce_connection": Route("PUT", "/users/{user_id}/salesforce-connections/{connection_id}"),
    "delete_salesforce_connection": Route("DELETE", "/users/{user_id}/salesforce-connections/{connection_id}"),
    "list_brand_salesforce_connections": Route("GET", "/brands/{brand_id}/salesforce-connections"),
}
