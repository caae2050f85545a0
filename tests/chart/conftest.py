"""The pinned helm (hack/helm) for the chart tests: built on first use, a failure in CI, a skip elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from chartkit import CHART, HELM, HOW_TO_ENABLE, RELEASE_NAMESPACE, in_ci

Render = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def helm(tmp_path_factory) -> Callable[..., subprocess.CompletedProcess]:
    """Run hack/helm with its own config and cache directories (nothing of the user's is read)."""
    home = tmp_path_factory.mktemp("helm-home")
    env = {**os.environ, "HELM_CONFIG_HOME": str(home / "config"), "HELM_CACHE_HOME": str(home / "cache"),
           "HELM_DATA_HOME": str(home / "data")}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(HELM), *args], capture_output=True, text=True, env=env, timeout=1800)
        if check:
            assert result.returncode == 0, f"helm {' '.join(args)} failed:\n{result.stderr}"
        return result

    # The first call builds helm (minutes, once); CI must have it, a laptop without Go skips.
    built = run("version", "--short", check=False)
    if built.returncode != 0:
        why = (built.stderr.strip().splitlines() or ["no output"])[-1]
        if in_ci():
            pytest.fail(f"hack/helm could not build or run helm in CI: {why}\n{built.stderr[-4000:]}")
        pytest.skip(f"helm checks skipped ({why}): {HOW_TO_ENABLE}")
    return run


@pytest.fixture(scope="session")
def render(helm) -> Render:
    """`helm template` the chart with --set-json values; returns the rendered objects."""
    cache: dict[str, list[dict[str, Any]]] = {}

    def template(*, crds: bool = False, **values: Any) -> list[dict[str, Any]]:
        key = json.dumps([crds, values], sort_keys=True)
        if key not in cache:
            args = ["template", "qxo", str(CHART), "--namespace", RELEASE_NAMESPACE]
            if crds:
                args.append("--include-crds")
            for path, value in values.items():
                args += ["--set-json", f"{path.replace('__', '.')}={json.dumps(value)}"]
            cache[key] = [doc for doc in yaml.safe_load_all(helm(*args).stdout) if doc]
        return cache[key]

    return template
