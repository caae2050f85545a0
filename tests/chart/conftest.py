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

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / "hack" / "helm"
CHART = ROOT / "charts" / "qxo"
RELEASE_NAMESPACE = "qxo-system"
HOW_TO_ENABLE = "install Go (the version in hack/go.mod) and run `hack/helm version` once to build helm"

Render = Callable[..., list[dict[str, Any]]]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


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


def refusal(helm, *set_json: str) -> str:
    """helm template's error for values the chart must refuse (fails when it renders)."""
    args = ["template", "qxo", str(CHART), "--namespace", RELEASE_NAMESPACE]
    for item in set_json:
        args += ["--set-json", item]
    result = helm(*args, check=False)
    assert result.returncode != 0, f"the chart rendered {set_json} instead of refusing it"
    return result.stderr


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None,
         namespace: str | None = None) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind
            and (name is None or d["metadata"]["name"] == name)
            and (namespace is None or d["metadata"].get("namespace") == namespace)]


def the(docs: list[dict[str, Any]], kind: str, name: str | None = None, namespace: str | None = None) -> dict:
    found = find(docs, kind, name, namespace)
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]
