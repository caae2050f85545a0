"""CA bundles from ConfigMaps or Secrets, as the files both HTTP clients want (ssl cafile, requests verify).

Files are named by their content's hash in a private directory, so a bundle is written once
however many objects use it, and a changed bundle gets a new file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_DIRECTORY: Path | None = None


def ca_file(pem: str) -> str:
    global _DIRECTORY
    if _DIRECTORY is None:
        _DIRECTORY = Path(tempfile.mkdtemp(prefix="qxo-ca-"))
    path = _DIRECTORY / (hashlib.sha256(pem.encode()).hexdigest()[:24] + ".pem")
    if not path.exists():
        partial = path.with_suffix(".tmp")
        partial.write_text(pem)
        os.replace(partial, path)
    return str(path)
