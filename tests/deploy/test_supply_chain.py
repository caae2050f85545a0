"""Supply chain: the hash-pinned locks the image installs from, the SBOM of them, and an image without sandboxes.

No Docker engine runs here: the image's Python contents are rebuilt from the build context
(.dockerignore applied) and run with the locked dependencies.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from deploykit import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from test_dockerfile import dockerignore_patterns, dockerignored

LOCKS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")
# pip options that would name a package index, a mirror or a host: a lock must carry none.
INDEX_OPTIONS = re.compile(r"^\s*(-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host)\b", re.M)


def pins(lock: Path) -> dict[str, str]:
    return {canonicalize_name(m.group(1)): m.group(2) for m in map(PIN.match, lock.read_text().splitlines()) if m}


def requirement_blocks(lock: Path) -> list[str]:
    """Each pinned requirement with its continuation lines."""
    blocks, current = [], ""
    for line in lock.read_text().splitlines():
        if PIN.match(line):
            if current:
                blocks.append(current)
            current = line
        elif current and line.startswith("    --hash"):
            current += "\n" + line
    return [*blocks, current] if current else blocks


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.mark.parametrize("lock", ["runtime.txt", "build.txt"])
def test_every_pin_carries_hashes_and_no_index_host(lock):
    text = (LOCKS / lock).read_text()
    blocks = requirement_blocks(LOCKS / lock)
    assert blocks
    for block in blocks:
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", block), block.splitlines()[0]
    assert not INDEX_OPTIONS.search(text)
    assert "://" not in text, "a URL in the lock would name an index or mirror"


def test_the_runtime_lock_pins_every_runtime_dependency_within_its_range():
    locked = pins(LOCKS / "runtime.txt")
    for line in pyproject()["project"]["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is a runtime dependency missing from the lock (make lock)"
        assert requirement.specifier.contains(locked[name], prereleases=True), (name, locked[name])


def why_locked(lock: Path) -> dict[str, str]:
    """Each locked package's `# via` comment: who brings it into the image."""
    reasons, current = {}, None
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            reasons[current] = ""
        elif current and line.lstrip().startswith("#"):
            reasons[current] += line.strip().removeprefix("#").strip() + " "
    return reasons


def test_the_runtime_lock_leaves_out_the_extras():
    """What only the sandboxes use stays out of the image, unless a runtime dependency brings it anyway
    (jsonpatch arrives with kopf): then it is there for that dependency, not for the sandboxes."""
    why = why_locked(LOCKS / "runtime.txt")
    extras = pyproject()["project"]["optional-dependencies"]
    runtime = {canonicalize_name(Requirement(line).name) for line in pyproject()["project"]["dependencies"]}
    for line in extras["sandbox"]:
        name = canonicalize_name(Requirement(line).name)
        assert name not in runtime, f"{name} belongs to the sandbox extra only"
        assert name not in why or "qxo (pyproject.toml)" not in why[name], f"{name} is locked for qxo itself"
    assert "trustme" not in why


def test_the_build_lock_satisfies_the_build_system():
    locked = pins(LOCKS / "build.txt")
    for line in pyproject()["build-system"]["requires"]:
        requirement = Requirement(line)
        assert requirement.specifier.contains(locked[canonicalize_name(requirement.name)])


def test_tests_run_on_the_versions_the_image_ships():
    """make venv installs requirements/runtime.txt first, so the suite exercises the locked versions."""
    for name, version in pins(LOCKS / "runtime.txt").items():
        assert importlib.metadata.version(name) == version, f"{name}: run make venv (or make lock)"


def test_make_sbom_writes_a_cyclonedx_sbom_of_the_locked_runtime(tmp_path):
    sbom = tmp_path / "qxo.cdx.json"
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is required")
    result = subprocess.run([make, "--no-print-directory", "-o", ".venv/.qxo-installed", "sbom", f"SBOM={sbom}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    document = json.loads(sbom.read_text())
    assert (document["bomFormat"], document["metadata"]["component"]["name"]) == ("CycloneDX", "qxo")
    components = {canonicalize_name(c["name"]): c["version"] for c in document["components"]}
    assert components == pins(LOCKS / "runtime.txt")
    assert all(c["purl"].startswith("pkg:pypi/") for c in document["components"])
    assert "trustme" not in components


# --- the image's Python contents, rebuilt from the build context ---------------------------------

IMAGE_SITE = """\
import importlib.abc, sys
sys.path[:0] = {paths!r}
class LeftOut(importlib.abc.MetaPathFinder):
    # trustme is installed in the test virtualenv (the sandbox extra) but not in the image.
    def find_spec(self, name, path=None, target=None):
        if name == "trustme" or name.startswith("trustme."):
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, LeftOut())
from qxo.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def image_site(tmp_path_factory) -> Path:
    """qxo as the image holds it: the files of operator/qxo that reach the build context."""
    site = tmp_path_factory.mktemp("image-site")
    patterns = dockerignore_patterns()
    for path in (ROOT / "operator" / "qxo").rglob("*"):
        relative = path.relative_to(ROOT).as_posix()
        if path.is_file() and "__pycache__" not in relative and not dockerignored(relative, patterns):
            target = site / path.relative_to(ROOT / "operator")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return site


def run_image(site: Path, *args: str) -> subprocess.CompletedProcess:
    # -S: no site module, so the test virtualenv's editable install of the full source tree is not
    # on the path; its site-packages still provide the locked dependencies.
    code = IMAGE_SITE.format(paths=[str(site), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    return subprocess.run([sys.executable, "-S", "-c", code, *args], capture_output=True, text=True, timeout=120,
                          cwd=site)


def test_the_image_holds_the_operator_without_sandboxes_or_demo(image_site):
    assert (image_site / "qxo" / "handlers").is_dir() and (image_site / "qxo" / "cli").is_dir()
    assert not (image_site / "qxo" / "sandbox").exists()
    assert not (image_site / "qxo" / "demo").exists()


def test_the_image_cli_runs_the_operator_commands(image_site):
    assert run_image(image_site, "--version").returncode == 0
    helped = run_image(image_site, "operator", "--help")
    assert helped.returncode == 0 and "--all-namespaces" in helped.stdout
    validated = run_image(image_site, "validate", str(ROOT / "examples"))
    assert (validated.returncode, validated.stderr) == (0, "")


@pytest.mark.parametrize("command", [["sandbox", "kube", "--port", "0"], ["demo", "--json"]])
def test_sandbox_and_demo_say_they_are_not_in_the_image(image_site, command):
    result = run_image(image_site, *command)
    assert result.returncode == 2
    assert "is not part of this installation" in result.stderr and "Traceback" not in result.stderr
