"""The brand sandbox as the demo sees it: its audit log (what the operator cost) and the "UI" user.

The audit log counts every call; the demo splits them by caller so the operator's reads and writes
are not mixed with the out-of-band edits the demo itself makes as the second brand administrator.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from qxo.demo.sandboxes import OPERATOR_USER, UI_USER, Endpoints


@dataclass
class Tally:
    reads: int = 0
    writes: int = 0

    def add(self, entry: dict[str, Any]) -> None:
        if entry.get("method") == "GET":
            self.reads += 1
        else:
            self.writes += 1


@dataclass
class Audit:
    """Follows /_sandbox/audit incrementally; `entries` keeps the operator's calls for the steps to show."""

    base_url: str
    last: int = 0
    operator: Tally = field(default_factory=Tally)
    others: Tally = field(default_factory=Tally)
    entries: list[dict[str, Any]] = field(default_factory=list)

    def poll(self) -> list[dict[str, Any]]:
        """Fetch what happened since the last poll; returns the operator's new entries."""
        # S310: the URL is always the brand sandbox's http(s) address, read from its credentials file.
        url = f"{self.base_url}/_sandbox/audit?since={self.last}"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            document = json.load(response)
        new = []
        for entry in document["entries"]:
            self.last = max(self.last, entry["seq"])
            if entry.get("route") == "/oauth2/token":
                continue
            if entry.get("who") == OPERATOR_USER:
                self.operator.add(entry)
                self.entries.append(entry)
                new.append(entry)
            else:
                self.others.add(entry)
        return new

    def operator_writes(self, since_seq: int = 0) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["seq"] > since_seq and e["method"] != "GET"]


class UiUser:
    """The second brand administrator, clicking in the brand's UI: calls made outside the operator."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.root = f"{endpoints.brand_url}/API/v3"
        self.base = f"{self.root}/brands/{endpoints.brand['brand_id']}"
        self._token = endpoints.brand_token(UI_USER)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """`path` under the brand (/extensions/...), or a full URL (a list's nextPage)."""
        url = path if path.startswith("http") else f"{self.base}{path}"
        request = urllib.request.Request(url, method=method,  # noqa: S310 (the brand sandbox's http URL)
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"X-API-TOKEN": self._token, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            payload = response.read()
        return json.loads(payload)["result"] if payload else None

    def domains(self, extension_id: str) -> list[str]:
        return sorted(self.call("GET", f"/extensions/{extension_id}/domains")["domains"])

    def accounts(self, extension_id: str) -> list[dict[str, Any]]:
        """The extension's accounts with who may use them, or [] once the extension is uninstalled."""
        try:
            listed = self.call("GET", f"/extensions/{extension_id}/accounts?pageSize=100")["elements"]
        except urllib.error.HTTPError as error:
            if error.code in (404, 409):
                return []
            raise
        return [{**a, "access": self.call("GET", f"/accounts/{a['id']}/access")} for a in listed]

    def names(self) -> dict[str, str]:
        """User and group ids -> usernames and group names, to show access the way the UI would."""
        names: dict[str, str] = {}
        for collection, label in (("users", "username"), ("groups", "name")):
            url: str | None = f"{self.root}/{collection}"
            while url:
                page = self.call("GET", url)
                names.update((e["id"], e.get(label) or e.get("name") or e["id"]) for e in page["elements"])
                url = page.get("nextPage")
        return names

    def installed(self, extension_id: str) -> bool:
        extensions = self.call("GET", "/extensions?pageSize=100")["elements"]
        return any(e["id"] == extension_id and e.get("installed") for e in extensions)
