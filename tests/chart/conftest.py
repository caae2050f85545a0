"""The pinned helm (hack/helm) for the chart tests: built on first use, a failure in CI, a skip elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from chartkit import CHART, HELM, HOW_TO_ENABLE, RELEASE_NAMESPACE, in_ci

Render = Callable[..., list[dict[str, Any]]]


def _helm_env(home: Path) -> dict[str, str]:
    return {**os.environ, "HELM_CONFIG_HOME": str(home / "config"), "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_DATA_HOME": str(home / "data")}


def _build_helm() -> subprocess.CompletedProcess:
    """hack/helm builds helm on its first call (minutes, once per go.sum); later calls only run it."""
    return subprocess.run([str(HELM), "version", "--short"], capture_output=True, text=True, timeout=1800)


_HELM_BUILD: list[subprocess.CompletedProcess] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a helm, outside CI: leave out every test that needs it and say so once."""
    needing = [item for item in items if "helm" in getattr(item, "fixturenames", ())]
    if not needing:
        return
    _HELM_BUILD.append(_build_helm())
    built = _HELM_BUILD[0]
    if built.returncode == 0 or in_ci():
        return  # in CI the helm fixture fails every such test with the build's output
    why = (built.stderr.strip().splitlines() or ["no output"])[-1]
    items[:] = [item for item in items if item not in needing]
    config.hook.pytest_deselected(items=needing)
    config.stash[_SKIPPED] = f"helm checks skipped ({len(needing)} tests): {why}. To enable them: {HOW_TO_ENABLE}"


_SKIPPED = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    message = config.stash.get(_SKIPPED, None)
    if message:
        terminalreporter.write_line(message, yellow=True)


@pytest.fixture(scope="session")
def helm(tmp_path_factory) -> Callable[..., subprocess.CompletedProcess]:
    """Run hack/helm with its own config and cache directories (nothing of the user's is read)."""
    built = _HELM_BUILD[0] if _HELM_BUILD else _build_helm()
    if built.returncode != 0:
        why = (built.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.fail(f"hack/helm could not build or run helm{' in CI' if in_ci() else ''}: {why}\n"
                    f"{built.stderr[-4000:]}")
    env = _helm_env(tmp_path_factory.mktemp("helm-home"))

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(HELM), *args], capture_output=True, text=True, env=env, timeout=600)
        if check:
            assert result.returncode == 0, f"helm {' '.join(args)} failed:\n{result.stderr}"
        return result

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
