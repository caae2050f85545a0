"""KubeSandbox: start and stop the in-memory API server, in the caller's loop or in a thread of its own."""

from __future__ import annotations

import base64
import contextlib
import ssl
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
import yaml
from aiohttp import web

from qxo.sandbox.kube import admission_policies
from qxo.sandbox.kube.admission import CustomResourceAdmission
from qxo.sandbox.kube.openapi import OpenAPI
from qxo.sandbox.kube.resources import Registry
from qxo.sandbox.kube.routes import build_app
from qxo.sandbox.kube.storage import Store
from qxo.sandbox.kube.watch import Hub, Window
from qxo.sandbox.threaded import serving_in_thread

INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


@dataclass
class Handle:
    url: str
    kubeconfig_path: str | None
    sandbox: KubeSandbox


class KubeSandbox:
    """An in-memory Kubernetes API server for trying and testing qxo; never for production."""

    def __init__(
        self,
        token: str | None = None,
        *,
        tls: bool | None = None,
        history: Window | None = None,
        bookmark_interval: float = 60.0,
    ) -> None:
        self.token = token
        # kubectl sends kubeconfig credentials only over TLS, so a token implies HTTPS unless told otherwise
        self.tls = token is not None if tls is None else tls
        self._ca: trustme.CA | None = trustme.CA() if self.tls else None
        self.bookmark_interval = bookmark_interval
        self.hub = Hub(history)  # the real watch cache's window unless a test asks for less
        self.store = Store(self.hub)
        self.registry = Registry()
        for rtype in admission_policies.resource_types():
            self.registry.add(rtype)
        self.admission = CustomResourceAdmission()
        self.openapi = OpenAPI(self.registry)
        self.stats: Counter[str] = Counter()
        self.url = ""
        self._runner: web.AppRunner | None = None
        namespaces = self.registry.get("", "v1", "namespaces")
        for name in INITIAL_NAMESPACES:
            self.store.create(namespaces, "", {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"},
            })
        self.hub.begin(self.store.rv)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=self._ssl_context(host))
        await site.start()
        sockets = site._server.sockets if site._server else []
        bound = sockets[0].getsockname()[1] if sockets else port
        self.url = f"{'https' if self.tls else 'http'}://{host}:{bound}"
        return self.url

    def _ssl_context(self, host: str) -> ssl.SSLContext | None:
        if self._ca is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(host, "localhost", "127.0.0.1").configure_cert(context)
        return context

    @property
    def ca_pem(self) -> bytes | None:
        """The CA that signed the server certificate, for clients to trust; None without TLS."""
        return self._ca.cert_pem.bytes() if self._ca else None

    async def stop(self) -> None:
        self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def kubeconfig(self) -> dict[str, Any]:
        user: dict[str, Any] = {"token": self.token} if self.token else {}
        cluster: dict[str, Any] = {"server": self.url}
        if self.ca_pem:
            cluster["certificate-authority-data"] = base64.b64encode(self.ca_pem).decode()
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "qxo-sandbox", "cluster": cluster}],
            "users": [{"name": "qxo-sandbox", "user": user}],
            "contexts": [{"name": "qxo-sandbox",
                          "context": {"cluster": "qxo-sandbox", "user": "qxo-sandbox", "namespace": "default"}}],
            "current-context": "qxo-sandbox",
            "preferences": {},
        }

    def write_kubeconfig(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.kubeconfig(), sort_keys=False))
        if self.token:
            path.chmod(0o600)
        return path

    @classmethod
    @contextlib.contextmanager
    def run_in_thread(
        cls, kubeconfig_path: str | Path | None = None, host: str = "127.0.0.1", port: int = 0, **kwargs: Any
    ) -> Iterator[Handle]:
        """Serve from a thread with its own event loop, for synchronous tests and for kubectl."""
        sandbox = cls(**kwargs)
        with serving_in_thread(lambda: sandbox.start(host, port), sandbox.stop, "qxo-kube-sandbox"):
            if kubeconfig_path is not None:
                sandbox.write_kubeconfig(kubeconfig_path)
            yield Handle(sandbox.url, str(kubeconfig_path) if kubeconfig_path else None, sandbox)
