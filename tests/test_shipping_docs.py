"""What ships beside the code: the license, the changelog, the versioning and upgrade docs, the install paths."""

from __future__ import annotations

import hashlib
import re
import subprocess
import tomllib
from pathlib import Path

import yaml

import qxo

ROOT = Path(__file__).resolve().parents[1]
# SHA-256 of the canonical Apache License 2.0 text (LICENSE-2.0.txt as the ASF publishes it).
APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def test_license_is_the_apache_2_0_text_pyproject_declares():
    assert hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest() == APACHE_2_0_SHA256
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]


def test_changelog_follows_keep_a_changelog():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in text and "https://semver.org/spec/v2.0.0.html" in text
    releases = re.findall(r"^## \[(.+?)\]", text, flags=re.MULTILINE)
    assert releases[0] == "Unreleased"
    for version in releases[1:]:
        assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", version), version
    sections = set(re.findall(r"^### (.+)$", text, flags=re.MULTILINE))
    assert sections <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert qxo.__version__ in text


def test_versioning_doc_covers_the_api_promise_conversion_window_and_mixed_versions():
    text = (ROOT / "docs" / "versioning.md").read_text()
    for needed in ("What `v1alpha1` promises", "strategy: None", "deprecation window", "Mixed versions",
                   qxo.API_VERSION, "operator/qxo/__init__.py"):
        assert needed.lower() in text.lower(), needed


def test_upgrade_doc_puts_the_crds_before_the_operator():
    text = (ROOT / "docs" / "upgrade.md").read_text()
    assert text.index("## 1. The CRDs") < text.index("## 2. The operator")
    assert "kubectl apply -f qxo-crds.yaml" in text and "helm upgrade" in text


def test_chart_readme_documents_every_value():
    values = yaml.safe_load((ROOT / "charts" / "qxo" / "values.yaml").read_text())
    readme = (ROOT / "charts" / "qxo" / "README.md").read_text()

    def leaves(node, prefix=""):
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict) and value and not path.endswith(("Selector", "labels", "Context", "resources")):
                yield from leaves(value, f"{path}.")
            else:
                yield path

    missing = [path for path in leaves(values) if f"`{path}`" not in readme and path not in (
        "podSecurityContext", "containerSecurityContext")]
    assert missing == []
    assert "never touches them: not on `helm upgrade`" in readme and "kubectl apply -k crds/" in readme


def test_readme_and_make_demo_show_the_three_install_paths():
    readme = (ROOT / "README.md").read_text()
    demo = subprocess.run(["make", "-n", "--no-print-directory", "demo"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    paths = ("helm install qxo charts/qxo", "kubectl apply -f dist/qxo-crds.yaml", "kubectl apply -k manifests/")
    for command in paths:
        assert command in readme, command
        assert command in demo, command
    lines = demo.splitlines()
    runs = [i for i, line in enumerate(lines) if line.endswith("/qxo demo")]
    assert len(runs) == 1 and runs[0] < next(i for i, line in enumerate(lines) if "helm install" in line), \
        "make demo runs the demo, then shows the install paths"
