# syntax=docker/dockerfile:1
# The qxo operator image: a wheel built in a throwaway stage, installed into a virtualenv
# that is the only thing copied into a slim runtime running as a non-root user.
# Build: docker build -t qxo:0.1.0 .     Run: see manifests/ (docs/deploy.md).
#
# Supply chain (docs/security.md): the base image is pinned by digest (the tag says which
# Python it is, the digest which bytes); every package pip downloads is checked against the
# hashes in requirements/*.txt (`make lock`); the image holds the operator only: no
# sandboxes, no demo, no trustme (.dockerignore keeps them out of the build context).

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm@sha256:081075da77b2b55c23c088251026fb69a7b2bf92471e491ff5fd75c192fd38e5

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# The locks first: the dependency layer is rebuilt only when they change.
COPY requirements/runtime.txt requirements/build.txt ./requirements/
RUN python -m venv /opt/build \
 && /opt/build/bin/pip install --require-hashes --no-deps -r requirements/build.txt \
 && python -m venv /opt/qxo \
 && /opt/qxo/bin/pip install --require-hashes --no-deps -r requirements/runtime.txt
# Only what the wheel is built from: a change to tests or docs never invalidates this layer.
COPY pyproject.toml README.md ./
COPY operator ./operator
# The wheel is built with the locked setuptools (no build isolation, so nothing unhashed is
# fetched) and installed without dependencies: everything it needs is already locked in.
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
 && /opt/qxo/bin/pip install --no-deps /wheels/*.whl \
 && /opt/qxo/bin/python -c "import importlib.util as u, sys; \
absent = ('qxo.sandbox', 'qxo.demo', 'trustme'); \
found = [m for m in absent if u.find_spec(m)]; \
sys.exit(f'the image must not contain {found}' if found else 0)" \
 && /opt/qxo/bin/pip uninstall --yes pip setuptools wheel

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="qxo" \
      org.opencontainers.image.description="Qualtrics eXtensions Operator: a brand's extension administration managed as Kubernetes custom resources" \
      org.opencontainers.image.licenses="Apache-2.0"
# The same base image as the builder, so the virtualenv's interpreter links resolve.
COPY --from=builder /opt/qxo /opt/qxo
# HOME on the writable emptyDir: the root filesystem is read-only in the cluster.
ENV PATH=/opt/qxo/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp
# 65532 is the conventional "nonroot" uid; numeric so runAsNonRoot can verify it.
USER 65532:65532
# 8080: kopf's liveness endpoint; 9090: Prometheus metrics. Kubernetes probes the pod,
# so the image declares no HEALTHCHECK.
EXPOSE 8080 9090
ENTRYPOINT ["qxo"]
CMD ["operator", "--all-namespaces"]
