# The README's two commands, `make demo` and `make test`, bootstrap everything they need
# into a local virtualenv, so a fresh clone needs only python3 (3.11+) and kubectl.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.qxo-installed
PYTEST_ARGS ?=

.PHONY: venv test lint demo clean release

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/qxo demo
	@echo
	@echo "Install into a real cluster (README.md, docs/deploy.md), one of:"
	@echo "  Helm chart:      helm install qxo charts/qxo -n qxo-system --create-namespace   (hack/helm is a pinned helm)"
	@echo "  Release bundle:  kubectl apply -f dist/qxo-crds.yaml && kubectl apply -f dist/qxo-install.yaml   (make release)"
	@echo "  Kustomize:       kubectl apply -k manifests/"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# The CRDs are generated from the pydantic models in qxo.api, into crds/ and the chart's crds/
# (tests fail when either is stale).
.PHONY: crds
crds: $(STAMP)
	$(BIN)/python -m qxo.api.crdgen crds
	$(BIN)/python -m qxo.api.crdgen charts/qxo/crds

# A small version of the benchmarks (docs/performance.md, docs/reliability.md): a few minutes on 2 cores.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python benchmarks/converge.py --resources 60 --latency-ms 20 --steady refresh
	$(BIN)/python benchmarks/chaos.py --resources 40 --kill-cycles 3
	$(BIN)/python benchmarks/bad_input.py --fuzz-examples 100

# A release's files in dist/: CRD bundle, install bundle, packaged chart (hack/release.py says which).
# VERSION defaults to the project's (operator/qxo/__init__.py); IMAGE is the repository deployed.
VERSION ?=
IMAGE ?= qxo
DIST ?= dist
release: $(STAMP)
	$(BIN)/python hack/release.py --version "$(VERSION)" --image "$(IMAGE)" --dist "$(DIST)"
