# syntax=docker/dockerfile:1
# The qxo operator image: a wheel built in a throwaway stage, installed into a virtualenv
# that is the only thing copied into a slim runtime running as a non-root user.
# Build: docker build -t qxo:0.1.0 .     Run: see manifests/ (docs/deploy.md).

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Only what the wheel is built from: a change to tests or docs never invalidates this layer.
COPY pyproject.toml README.md ./
COPY operator ./operator
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
 && python -m venv /opt/qxo \
 && /opt/qxo/bin/pip install /wheels/*.whl \
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
