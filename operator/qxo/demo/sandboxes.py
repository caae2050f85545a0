"""Start the kube, brand and Salesforce sandboxes and the operator as processes, and learn their addresses.

Each sandbox picks a free port and writes a file once it is listening (kubeconfig, credentials,
CA); reading those files is how the demo learns where everything is and which tokens to use.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qxo.demo.children import Children, DemoError, json_with, wait_for_file

NAMESPACE = "qxo-demo"
TENANCY_NAMESPACES = ("qxo-platform", "team-marketing", "team-support")
OPERATOR_USER = "admin@acme.example"
UI_USER = "ops@acme.example"


@dataclass(frozen=True)
class Endpoints:
    """Where the sandboxes listen and the credentials they issued (never printed)."""

    kubeconfig: Path
    brand: dict[str, Any]
    salesforce: dict[str, Any]
    salesforce_ca: str

    @property
    def brand_url(self) -> str:
        return self.brand["base_url"]

    def brand_token(self, user: str) -> str:
        return self.brand["tokens"][user]

    def secret_values(self) -> list[str]:
        """Every credential the sandboxes issued: what must never appear in the demo's output."""
        values = list(self.brand.get("tokens", {}).values())
        for client in (self.brand.get("oauth_clients") or {}).values():
            if isinstance(client, dict):
                values.extend(str(v) for k, v in client.items() if "secret" in k)
        values.extend(self.salesforce[k] for k in ("client_secret", "refresh_token") if k in self.salesforce)
        values.append((self.salesforce.get("production") or {}).get("refresh_token", ""))
        return [v for v in values if v]


def _kubeconfig(text: str) -> dict | None:
    document = yaml.safe_load(text)
    if isinstance(document, dict) and document.get("current-context") and document.get("clusters"):
        return document
    return None


def _pem(text: str) -> str | None:
    return text if text.rstrip().endswith("-----END CERTIFICATE-----") else None


def fresh_workdir_files(workdir: Path) -> None:
    """A reused --workdir starts from a fresh brand: the kube sandbox forgets, the brand's SQLite would not."""
    for name in ("brand.db", "brand.db-wal", "brand.db-shm", "brand.json", "sf.json", "sf-ca.pem", "kubeconfig",
                 "kube-sandbox.log", "brand-sandbox.log", "salesforce-sandbox.log", "operator.log"):
        with contextlib.suppress(FileNotFoundError):
            (workdir / name).unlink()


@dataclass
class Starting:
    """The three sandbox processes, started; `kube()` and `rest()` wait for what each one writes."""

    children: Children
    workdir: Path

    def __post_init__(self) -> None:
        w = self.workdir
        self.kube_child = self.children.start("kube-sandbox", ["sandbox", "kube", "--port", "0",
                                                                "--kubeconfig", str(w / "kubeconfig")])
        self.brand_child = self.children.start("brand-sandbox", [
            "sandbox", "brand", "--port", "0", "--db", str(w / "brand.db"), "--credentials-out", str(w / "brand.json")])
        self.salesforce_child = self.children.start("salesforce-sandbox", [
            "sandbox", "salesforce", "--port", "0", "--ca-out", str(w / "sf-ca.pem"),
            "--credentials-out", str(w / "sf.json")])

    def kube(self) -> Path:
        wait_for_file(self.kube_child, self.workdir / "kubeconfig", _kubeconfig)
        return self.workdir / "kubeconfig"

    def rest(self) -> Endpoints:
        brand = wait_for_file(self.brand_child, self.workdir / "brand.json",
                              json_with("base_url", "brand_id", "tokens"))
        salesforce = wait_for_file(self.salesforce_child, self.workdir / "sf.json",
                                   json_with("login_url", "client_id", "client_secret", "refresh_token", "production"))
        ca = wait_for_file(self.salesforce_child, self.workdir / "sf-ca.pem", _pem)
        missing = [user for user in (OPERATOR_USER, UI_USER) if user not in brand["tokens"]]
        if missing:
            raise DemoError(f"the brand sandbox issued no token for {', '.join(missing)}")
        return Endpoints(self.kube(), brand, salesforce, ca)


def start_operator(children: Children, kubeconfig: Path) -> None:
    # The sandboxes listen on 127.0.0.1: the administrator's allowlist must say so (the defaults are
    # Qualtrics' and Salesforce's own hosts).
    # qxo-demo for examples/, and the platform and team namespaces of examples/tenancy (step 5).
    scope = [arg for namespace in (NAMESPACE, *TENANCY_NAMESPACES) for arg in ("--namespace", namespace)]
    children.start("operator", ["operator", *scope, "--allow-endpoint", "127.0.0.1"],
                   env={"KUBECONFIG": str(kubeconfig)})
