# The README's two commands, `make demo` and `make test`, bootstrap everything they need
# into a local virtualenv, so a fresh clone needs only python3 (3.11+) and kubectl.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.qxo-installed
PYTEST_ARGS ?=

.PHONY: venv test lint demo clean release

# The operator image's exact dependencies go in first, hash-checked (requirements/runtime.txt),
# so the tests run what ships; then qxo itself with the sandboxes and the test tools.
$(STAMP): pyproject.toml requirements/runtime.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/runtime.txt
	$(BIN)/python -m pip install --quiet -e '.[sandbox,test]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The sandbox suites, then the real-cluster stage: the tests marked e2e, against one real Kubernetes
# control plane (hack/real-cluster; built from Go modules on first use). Without a Go toolchain the
# stage is skipped with one line saying so; with CI=true it fails instead.
test: lint
	$(BIN)/python -m pytest -m "not e2e" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m e2e $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/qxo demo
	@echo
	@echo "Install into a real cluster (README.md, docs/deploy.md), one of:"
	@echo "  Helm chart:      helm install qxo charts/qxo -n qxo-system --create-namespace   (hack/helm is a pinned helm)"
	@echo "  Release bundle:  kubectl apply -f dist/qxo-crds.yaml && kubectl apply -f dist/qxo-install.yaml   (make release)"
	@echo "  Kustomize:       kubectl apply -k manifests/"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# The CRDs are generated from the pydantic models in qxo.api, into crds/ and the chart's crds/, and
# the admission policies from qxo.api.policy, into manifests/policy/ and the chart's templates/
# (tests fail when any is stale).
.PHONY: crds
crds: $(STAMP)
	$(BIN)/python -m qxo.api.crdgen crds
	$(BIN)/python -m qxo.api.crdgen charts/qxo/crds
	$(BIN)/python -m qxo.api.admission_policy manifests/policy --chart-templates charts/qxo/templates

# A small version of the benchmarks (docs/performance.md, docs/reliability.md): a few minutes on 2 cores.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python benchmarks/converge.py --resources 60 --latency-ms 20 --steady refresh
	$(BIN)/python benchmarks/chaos.py --resources 40 --kill-cycles 3
	$(BIN)/python benchmarks/bad_input.py --fuzz-examples 100

# The operator image's dependencies, pinned with hashes (pip-tools: it resolves with the pip the
# venv already has and writes plain requirements files that `pip install --require-hashes`
# reads in the Dockerfile). No index, find-links or trusted-host lines: whatever mirror this
# machine's pip uses stays out of the lock. Resolve on Python 3.11, the image's.
.PHONY: lock
LOCK_FLAGS = --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-trusted-host --no-emit-find-links --newline=LF
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet 'pip-tools>=7.4'
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file=requirements/runtime.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --output-file=requirements/build.txt requirements/build.in

# A CycloneDX SBOM (JSON) of exactly what the image installs: the locked runtime dependencies.
.PHONY: sbom
SBOM ?= dist/qxo-runtime.cdx.json
sbom: $(STAMP)
	mkdir -p $(dir $(SBOM))
	$(BIN)/cyclonedx-py requirements --pyproject pyproject.toml --output-reproducible \
		--of JSON -o $(SBOM) requirements/runtime.txt
	@echo "wrote $(SBOM)"
# A release's files in dist/: CRD bundle, install bundle, packaged chart (hack/release.py says which).
# VERSION defaults to the project's (operator/qxo/__init__.py); IMAGE is the repository deployed.
VERSION ?=
IMAGE ?= qxo
DIST ?= dist
release: $(STAMP)
	$(BIN)/python hack/release.py --version "$(VERSION)" --image "$(IMAGE)" --dist "$(DIST)"
