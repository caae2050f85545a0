"""`make release VERSION=X.Y.Z`: the release's CRD bundle, install bundle and packaged chart in dist/.

Every file is stamped from the one version given (default: `qxo.__version__`, the project's version):

  qxo-crds.yaml     the five CRDs (`kubectl kustomize crds/`), applied first and on every upgrade
  qxo-install.yaml  namespace qxo-system, ServiceAccount, RBAC and the Deployment of `manifests/`
                    (`kubectl kustomize manifests/` without the CRDs), image IMAGE:VERSION
  qxo-VERSION.tgz   charts/qxo packaged by hack/helm: chart version and appVersion VERSION, image IMAGE
  SHA256SUMS        the checksums of the three
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

import qxo

ROOT = Path(__file__).resolve().parents[1]
# Semantic Versioning 2.0.0 (https://semver.org/): what Helm accepts as a chart version.
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
IMAGE_REFERENCE = re.compile(r"^[a-z0-9]+([._/:-][a-z0-9]+)*$")


class ReleaseError(Exception):
    pass


def kustomize(relative: str) -> list[dict]:
    result = subprocess.run(["kubectl", "kustomize", str(ROOT / relative)], capture_output=True, text=True)
    if result.returncode != 0:
        raise ReleaseError(f"kubectl kustomize {relative} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def bundle(header: str, docs: list[dict]) -> str:
    return header + "".join("---\n" + yaml.safe_dump(doc, sort_keys=False) for doc in docs)


def install_objects(version: str, image: str) -> list[dict]:
    docs = [doc for doc in kustomize("manifests") if doc["kind"] != "CustomResourceDefinition"]
    deployments = [doc for doc in docs if doc["kind"] == "Deployment"]
    if len(deployments) != 1:
        raise ReleaseError(f"manifests/ renders {len(deployments)} Deployments, expected the operator's one")
    for container in deployments[0]["spec"]["template"]["spec"]["containers"]:
        container["image"] = f"{image}:{version}"
    return docs


def package_chart(version: str, image: str, dist: Path) -> Path:
    """charts/qxo packaged at `version`, its image.repository default set to `image`."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "qxo"
        shutil.copytree(ROOT / "charts" / "qxo", copy)
        values = copy / "values.yaml"
        text, count = re.subn(r"(?m)^  repository: qxo$", f"  repository: {image}", values.read_text())
        if count != 1:
            raise ReleaseError("charts/qxo/values.yaml: expected one `  repository: qxo` line under image")
        values.write_text(text)
        packaged = subprocess.run([str(ROOT / "hack" / "helm"), "package", str(copy), "--version", version,
                                   "--app-version", version, "--destination", str(dist)],
                                  capture_output=True, text=True)
    chart = dist / f"qxo-{version}.tgz"
    if packaged.returncode != 0 or not chart.is_file():
        raise ReleaseError(f"hack/helm package failed:\n{packaged.stderr}")
    return chart


def release(version: str, image: str, dist: Path) -> list[Path]:
    if not SEMVER.match(version):
        raise ReleaseError(f"VERSION: {version!r} is not a semantic version such as 1.2.3 or 1.3.0-rc.1")
    if not IMAGE_REFERENCE.match(image):
        raise ReleaseError(f"IMAGE: {image!r} is not an image repository such as registry.example/qxo")
    dist.mkdir(parents=True, exist_ok=True)
    crds = dist / "qxo-crds.yaml"
    crds_header = f"# qxo {version}: the qxo.dev CRDs. Apply before qxo-install.yaml, and again on every upgrade.\n"
    crds.write_text(bundle(crds_header, kustomize("crds")))
    install = dist / "qxo-install.yaml"
    install_header = (f"# qxo {version}: the operator, cluster-wide, as `kubectl apply -k manifests/` installs it.\n"
                      "# kubectl apply -f qxo-crds.yaml && kubectl apply -f qxo-install.yaml\n")
    install.write_text(bundle(install_header, install_objects(version, image)))
    chart = package_chart(version, image, dist)
    files = [crds, install, chart]
    sums = "".join(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n" for path in files)
    (dist / "SHA256SUMS").write_text(sums)
    return [*files, dist / "SHA256SUMS"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="", help=f"the release version (default: {qxo.__version__})")
    parser.add_argument("--image", default="qxo", help="the image repository the install bundle deploys")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where to write the files")
    args = parser.parse_args(argv)
    try:
        for path in release(args.version or qxo.__version__, args.image, args.dist):
            print(path)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
