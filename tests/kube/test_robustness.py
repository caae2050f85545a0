"""Bad input gets a 4xx Status naming the problem, never a 500: random JSON thrown at every write verb."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.kube.conftest import widget_crd

from qxo.sandbox.kube import KubeSandbox

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
KEYS = st.sampled_from(["metadata", "spec", "status", "data", "stringData", "kind", "apiVersion", "type"])
META = st.dictionaries(st.sampled_from(["name", "labels", "finalizers", "annotations", "namespace",
                                        "resourceVersion", "generateName"]), JSON, max_size=3)
BODIES = st.one_of(JSON, st.fixed_dictionaries({"metadata": META}, optional={"spec": JSON, "data": JSON}),
                   st.dictionaries(KEYS, JSON, max_size=4))
PATHS = ["/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/secrets", "/api/v1/namespaces",
         "/apis/test.qxo.dev/v1/namespaces/default/widgets", "/apis/coordination.k8s.io/v1/namespaces/default/leases",
         "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"]
CONTENT_TYPES = ["application/json", "application/merge-patch+json", "application/json-patch+json",
                 "application/strategic-merge-patch+json"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with KubeSandbox.run_in_thread() as handle:
        _send(handle.url, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widget_crd())
        for path in PATHS[:-1]:
            name = "ns-existing" if path.endswith("namespaces") else "existing"
            _send(handle.url, "POST", path, {"metadata": {"name": name}, "spec": {"size": "small"}})
        yield handle.url


def _send(url: str, method: str, path: str, body, content_type: str = "application/json") -> tuple[int, dict]:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, path=st.sampled_from(PATHS), verb=st.sampled_from(["POST", "PUT", "PATCH"]),
       content_type=st.sampled_from(CONTENT_TYPES))
def test_random_bodies_never_cause_a_server_error(server, body, path, verb, content_type):
    if verb != "POST":
        path += "/ns-existing" if path.endswith("namespaces") else "/existing"
    status, answer = _send(server, verb, path, body, content_type if verb == "PATCH" else "application/json")
    assert status < 500, answer
    if status >= 400:
        assert answer["kind"] == "Status" and answer["message"]
