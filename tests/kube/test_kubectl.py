"""kubectl v1.32, unchanged, against the sandbox: apply, get, describe, explain, wait, delete, create."""

from __future__ import annotations

import json
import re

import kubernetes
import pytest
from tests.kube.conftest import DATA

pytestmark = pytest.mark.slow

WIDGET = """
apiVersion: test.qxo.dev/v1
kind: Widget
metadata:
  name: w1
spec:
  size: {size}
  replicas: 2
"""


@pytest.fixture
def applied(kubectl):
    kubectl("apply", "-f", str(DATA / "widgets.yaml"))
    kubectl("apply", "-f", "-", stdin=WIDGET.format(size="small"))
    return kubectl


def test_apply_creates_then_configures_with_strict_validation(applied):
    again = applied("apply", "-f", "-", "-v=6", stdin=WIDGET.format(size="large"))
    assert "widget.test.qxo.dev/w1 configured" in again.stdout
    assert "fieldValidation=Strict" in again.stderr
    got = json.loads(applied("get", "widget", "w1", "-o", "json").stdout)
    assert got["spec"]["size"] == "large" and got["metadata"]["generation"] == 2
    assert applied("apply", "-f", "-", stdin=WIDGET.format(size="large")).stdout.strip().endswith("unchanged")


def test_get_shows_printer_columns_by_name_short_name_and_category(applied):
    for what in ("widgets", "wdg", "gadgets"):
        lines = applied("get", what).stdout.splitlines()
        assert lines[0].split() == ["NAME", "READY", "SIZE", "REPLICAS", "AGE"]
        assert lines[1].split()[:3] == ["w1", "small", "2"]


def test_describe_and_explain(applied):
    described = applied("describe", "wdg", "w1").stdout
    assert re.search(r"^Name:\s+w1$", described, re.M) and re.search(r"^\s+Size:\s+small$", described, re.M)
    explained = applied("explain", "widgets.spec.size").stdout
    assert "How big the widget is." in explained and "small" in explained


def test_wait_for_ready_after_a_status_patch_from_the_python_client(applied, threaded):
    config = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=threaded.kubeconfig_path, client_configuration=config)
    with kubernetes.client.ApiClient(config) as client:
        kubernetes.client.CustomObjectsApi(client).patch_namespaced_custom_object_status(
            "test.qxo.dev", "v1", "default", "widgets", "w1",
            {"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Done"}]}})
    waited = applied("wait", "--for=condition=Ready", "widget/w1", "--timeout=20s")
    assert "condition met" in waited.stdout
    assert applied("get", "wdg").stdout.splitlines()[1].split()[:2] == ["w1", "True"]


def test_strict_validation_names_an_unknown_field(applied):
    bad = applied("apply", "-f", "-", check=False, stdin=WIDGET.format(size="small") + "  colour: red\n")
    assert bad.returncode != 0
    assert 'unknown field "spec.colour"' in bad.stderr


def test_delete(applied):
    assert 'widget.test.qxo.dev "w1" deleted' in applied("delete", "widget", "w1").stdout
    assert "No resources found" in applied("get", "widgets").stderr


def test_imperative_create_of_builtin_kinds_uses_protobuf(kubectl):
    kubectl("create", "namespace", "team")
    kubectl("-n", "team", "create", "secret", "generic", "token", "--from-literal=token=abc", "--type=qxo/token")
    kubectl("-n", "team", "create", "configmap", "settings", "--from-literal=a=b")
    secret = json.loads(kubectl("-n", "team", "get", "secret", "token", "-o", "json").stdout)
    assert secret["data"] == {"token": "YWJj"} and secret["type"] == "qxo/token"
    assert json.loads(kubectl("-n", "team", "get", "cm", "settings", "-o", "json").stdout)["data"] == {"a": "b"}
    lines = kubectl("get", "ns").stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "AGE"] and any(line.startswith("team ") for line in lines)
    kubectl("delete", "namespace", "team")
    assert kubectl("get", "ns", "team", check=False).returncode != 0


def test_server_side_apply_creates_and_merges(kubectl):
    kubectl("apply", "-f", str(DATA / "widgets.yaml"))
    created = kubectl("apply", "--server-side", "-f", "-", stdin=WIDGET.format(size="small"))
    assert "serverside-applied" in created.stdout
    kubectl("apply", "--server-side", "-f", "-", stdin=WIDGET.format(size="medium"))
    got = json.loads(kubectl("get", "widget", "w1", "-o", "json").stdout)
    assert got["spec"]["size"] == "medium" and got["metadata"]["generation"] == 2
