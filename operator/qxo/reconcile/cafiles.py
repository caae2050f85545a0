"""CA bundles from ConfigMaps or Secrets, as the files both HTTP clients want (ssl cafile, requests verify).

Files are named by their content's hash in a private directory, so a bundle is written once however
many objects use it, and a changed bundle gets a new file. A bundle is checked before it is written
(PEM certificates an SSL context accepts, at most MAX_BYTES), all of them together stay under
MAX_TOTAL_BYTES (the pod's /tmp is a small emptyDir). Each file is held by the objects whose clients
use it (a brand, a link); one that no object holds any more is removed, and the directory goes when
the operator stops.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import ssl
import tempfile
from collections.abc import Hashable
from pathlib import Path

from qxo.reconcile.outcome import Refused, Waiting

MAX_BYTES = 512 * 1024  # a whole public CA store is about 220 KiB
MAX_TOTAL_BYTES = 16 * 1024 * 1024


class CAFiles:
    def __init__(self) -> None:
        self._directory: Path | None = None
        self._sizes: dict[str, int] = {}
        self._held: dict[Hashable, str] = {}  # holder -> the file its client uses

    def file_for(self, pem: str, field: str, holder: Hashable) -> str:
        """The path of a file holding `pem`, now `holder`'s (its previous file is released); Refused naming
        `field` when it is too large or not a CA bundle."""
        data = pem.encode()
        if len(data) > MAX_BYTES:
            raise Refused("InvalidCABundle", f"{field}: the CA bundle is {len(data)} bytes; at most {MAX_BYTES} "
                                             "are accepted")
        try:
            ssl.create_default_context(cadata=pem)
        except (ssl.SSLError, ValueError):
            raise Refused("InvalidCABundle", f"{field}: not a PEM bundle of CA certificates") from None
        path = str(self._dir() / (hashlib.sha256(data).hexdigest()[:24] + ".pem"))
        if path not in self._sizes:
            if sum(self._sizes.values()) + len(data) > MAX_TOTAL_BYTES:
                raise Waiting("WaitingForCABundleSpace", f"{field}: the CA bundles in use already take "
                                                         f"{MAX_TOTAL_BYTES} bytes; waiting for some to be released")
            partial = Path(path).with_suffix(".tmp")
            partial.write_bytes(data)
            os.replace(partial, path)
            self._sizes[path] = len(data)
        previous, self._held[holder] = self._held.get(holder), path
        if previous is not None and previous != path:
            self._remove_unheld(previous)
        return path

    def release(self, holder: Hashable) -> None:
        """`holder` no longer uses its file: remove it unless another holder does."""
        path = self._held.pop(holder, None)
        if path is not None:
            self._remove_unheld(path)

    def _remove_unheld(self, path: str) -> None:
        if path in self._held.values():
            return
        self._sizes.pop(path, None)
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)

    def close(self) -> None:
        """Remove every file and the directory."""
        self._sizes.clear()
        self._held.clear()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def _dir(self) -> Path:
        if self._directory is None:
            self._directory = Path(tempfile.mkdtemp(prefix="qxo-ca-"))
            atexit.register(shutil.rmtree, self._directory, True)  # also when the loop never reaches close()
        return self._directory

    @property
    def paths(self) -> list[str]:
        return sorted(self._sizes)
