"""Fixtures for the deployment tests (the helpers they share are in deploykit)."""

from __future__ import annotations

import shutil

import pytest
import yaml
from deploykit import ROOT, crds_present, kustomize


@pytest.fixture(scope="session")
def render(tmp_path_factory):
    """Render a directory under manifests/.

    While the CRD files have not landed, a copy of the tree is rendered with an empty
    crds/ kustomization, so everything qxo's own manifests declare is still checked.
    """
    if crds_present():
        return lambda relative: kustomize(ROOT / relative)
    copy = tmp_path_factory.mktemp("tree")
    shutil.copytree(ROOT / "manifests", copy / "manifests")
    (copy / "crds").mkdir()
    crd_kustomization = yaml.safe_load((ROOT / "crds" / "kustomization.yaml").read_text())
    crd_kustomization["resources"] = []
    (copy / "crds" / "kustomization.yaml").write_text(yaml.safe_dump(crd_kustomization))
    return lambda relative: kustomize(copy / relative)
