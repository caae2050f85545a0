"""Fixtures for every suite: the real Kubernetes control plane that tests marked e2e run against.

`make test` runs the sandbox suites first (`-m "not e2e"`), then the real-cluster stage (`-m e2e`),
which starts one control plane (hack/real-cluster) for the whole session. Where the Go toolchain is
missing the stage is skipped with one line saying how to enable it; with CI=true it fails instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from realclusterkit import RealCluster, Unavailable


@pytest.fixture(scope="session")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCluster]:
    cluster = RealCluster(tmp_path_factory.mktemp("real-cluster"))
    try:
        cluster.start()
    except Unavailable as unavailable:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the real-cluster stage cannot run in CI: {unavailable}", pytrace=False)
        pytest.skip(str(unavailable))
    try:
        cluster.install_crds()
        yield cluster
    finally:
        cluster.stop()
