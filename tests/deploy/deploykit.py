"""Helpers for the deployment tests: where the repository is, and manifests/ rendered with kubectl kustomize."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CRD_FILES = [
    "qxo.dev_qualtricsbrands.yaml",
    "qxo.dev_extensioninstalls.yaml",
    "qxo.dev_extensionaccounts.yaml",
    "qxo.dev_accountgrants.yaml",
    "qxo.dev_salesforcelinks.yaml",
    "qxo.dev_clusterqualtricsbrands.yaml",
    "qxo.dev_extensionpolicies.yaml",
]


def crds_present() -> bool:
    return all((ROOT / "crds" / name).is_file() for name in CRD_FILES)


def kustomize(directory: Path) -> list[dict]:
    """Render one kustomization with the kustomize built into kubectl (works offline)."""
    if shutil.which("kubectl") is None:
        pytest.fail("kubectl is required to render manifests/ (kustomize is built into it)")
    result = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [doc for doc in docs if doc["kind"] == kind]


def one(docs: list[dict], kind: str, name: str) -> dict:
    found = [doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]
