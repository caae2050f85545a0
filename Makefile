# The README's two commands, `make demo` and `make test`, bootstrap everything they need
# into a local virtualenv, so a fresh clone needs only python3 (3.11+) and kubectl.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.qxo-installed
PYTEST_ARGS ?=

.PHONY: venv test lint demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# The CRDs are generated from the pydantic models in qxo.api (tests fail when crds/ is stale).
.PHONY: crds
crds: $(STAMP)
	$(BIN)/python -m qxo.api.crdgen crds

# A small version of the benchmarks (docs/performance.md, docs/reliability.md): a few minutes on 2 cores.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python benchmarks/converge.py --resources 60 --latency-ms 20 --steady refresh
	$(BIN)/python benchmarks/chaos.py --resources 40 --kill-cycles 3
	$(BIN)/python benchmarks/bad_input.py --fuzz-examples 100
