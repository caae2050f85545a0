"""Demo step 5, tenancy: a platform team shares brand `acme` with two teams, and a team's forbidden request is
refused at admission (examples/tenancy/, docs/tenancy.md).

The step applies the admission policies of manifests/policy/ and the examples/tenancy/ tree (rewritten
for the sandboxes, as the main examples are), waits until every object of it is Ready, shows that no
team namespace holds the brand token, then applies examples/tenancy/refused/ as a team would and
shows the API server's refusal, naming the policy and the rule, with no brand write.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import client as k8s

from qxo.demo.children import DemoError
from qxo.demo.manifests import _objects
from qxo.demo.sandboxes import OPERATOR_USER, TENANCY_NAMESPACES, Endpoints

NAMESPACES = TENANCY_NAMESPACES
TEAMS = ("team-marketing", "team-support")
# The kube sandbox serves no RBAC (docs/kube-sandbox.md): the team bindings are the real cluster's business.
NOT_SERVED = frozenset({"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"})
# kind -> (API prefix, plural, namespaced): the REST paths of the kinds the step applies
RESOURCE_PATHS = {
    "Namespace": ("/api/v1", "namespaces", False),
    "Secret": ("/api/v1", "secrets", True),
    "ValidatingAdmissionPolicy": ("/apis/admissionregistration.k8s.io/v1", "validatingadmissionpolicies", False),
    "ValidatingAdmissionPolicyBinding": ("/apis/admissionregistration.k8s.io/v1",
                                         "validatingadmissionpolicybindings", False),
    "ClusterQualtricsBrand": ("/apis/qxo.dev/v1alpha1", "clusterqualtricsbrands", False),
    "ExtensionPolicy": ("/apis/qxo.dev/v1alpha1", "extensionpolicies", False),
    "ExtensionInstall": ("/apis/qxo.dev/v1alpha1", "extensioninstalls", True),
    "ExtensionAccount": ("/apis/qxo.dev/v1alpha1", "extensionaccounts", True),
    "AccountGrant": ("/apis/qxo.dev/v1alpha1", "accountgrants", True),
}
READY_KINDS = ("ClusterQualtricsBrand", "ExtensionInstall", "ExtensionAccount", "AccountGrant")


@dataclass
class Tree:
    """What the step applies (in order) and the request it expects refused."""

    documents: list[dict[str, Any]]
    refused: list[dict[str, Any]]
    left_out: list[str] = field(default_factory=list)

    @property
    def reconciled(self) -> list[tuple[str, str, str]]:
        """(kind, namespace, name) of every object that must become Ready."""
        return [(d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]) for d in self.documents
                if d["kind"] in READY_KINDS]


def tree(root: Path, endpoints: Endpoints) -> Tree:
    """manifests/policy/ and examples/tenancy/, pointed at the sandboxes; RBAC left out and said so."""
    policies = _objects(root / "manifests" / "policy" / "admission-policies.yaml")
    examples = [d for path in sorted((root / "examples" / "tenancy").glob("*.yaml")) for d in _objects(path)]
    refused = [d for path in sorted((root / "examples" / "tenancy" / "refused").glob("*.yaml"))
               for d in _objects(path)]
    left_out = [f"{d['kind']}/{d['metadata']['name']}" for d in examples if d["kind"] in NOT_SERVED]
    documents = [_for_sandboxes(copy.deepcopy(d), endpoints) for d in [*policies, *examples]
                 if d["kind"] not in NOT_SERVED]
    token_secrets = {(d["spec"]["credentials"].get("namespace") or "qxo-system",
                      d["spec"]["credentials"]["apiTokenSecretRef"]["name"])
                     for d in documents if d["kind"] == "ClusterQualtricsBrand"}
    for document in documents:
        meta = document["metadata"]
        if document["kind"] == "Secret" and (meta.get("namespace"), meta["name"]) in token_secrets:
            document["stringData"] = {"token": endpoints.brand_token(OPERATOR_USER)}
    return Tree(documents, refused, left_out)


def _for_sandboxes(document: dict[str, Any], endpoints: Endpoints) -> dict[str, Any]:
    if document["kind"] == "ClusterQualtricsBrand":
        spec = document["spec"]
        spec.pop("datacenter", None)
        spec["baseURL"] = endpoints.brand_url
        spec["brandId"] = endpoints.brand["brand_id"]
    return document


class Kube:
    """Plain REST against the kube sandbox for the kinds the step applies, in any namespace or none."""

    def __init__(self, api: k8s.ApiClient) -> None:
        self.api = api

    def _path(self, kind: str, namespace: str, name: str | None = None) -> str:
        prefix, plural, namespaced = RESOURCE_PATHS[kind]
        path = f"{prefix}/namespaces/{namespace}/{plural}" if namespaced else f"{prefix}/{plural}"
        return f"{path}/{name}" if name else path

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        request = self.api.param_serialize(method, path, body=body, auth_settings=["BearerToken"], header_params={
            "Content-Type": "application/json", "Accept": "application/json"})
        response = self.api.call_api(*request)
        response.read()
        if not 200 <= response.status < 300:
            raise k8s.exceptions.ApiException(http_resp=response)
        return json.loads(response.data)

    def create(self, document: dict[str, Any]) -> None:
        """Create the object (one that exists is left as it is); refusals raise ApiException."""
        meta = document["metadata"]
        try:
            self._call("POST", self._path(document["kind"], meta.get("namespace", ""), None), document)
        except k8s.exceptions.ApiException as error:
            if error.status != 409:
                raise

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self._call("GET", self._path(kind, namespace, name))
        except k8s.exceptions.ApiException as error:
            if error.status == 404:
                return None
            raise

    def secret_names(self, namespace: str) -> list[str]:
        return sorted(item["metadata"]["name"] for item in self._call("GET", self._path("Secret", namespace))["items"])


def ready(body: dict[str, Any] | None) -> bool:
    conditions = ((body or {}).get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def refusal(error: k8s.exceptions.ApiException) -> str:
    try:
        return json.loads(error.body).get("message") or str(error.reason)
    except (TypeError, ValueError):
        return f"{error.status} {error.reason}"


def run_step(demo: Any, kube: Kube, applied: Tree, timeout: float) -> dict[str, Any]:
    """Step 5 on a Demo (qxo.demo.steps): apply, wait for Ready, show the token's absence and a refusal."""
    record = demo.step("tenancy", "5. Tenancy: brand acme shared with two teams; a forbidden request refused "
                                  "at admission")
    for document in applied.documents:
        try:
            kube.create(document)
        except k8s.exceptions.ApiException as error:
            raise DemoError(f"applying {document['kind']} {document['metadata']['name']} failed: "
                            f"{refusal(error)}") from None
    demo.display.say(f"   applied manifests/policy/ and examples/tenancy/: {len(applied.documents)} objects "
                     f"(left out, the sandbox serves no RBAC: {', '.join(applied.left_out) or 'nothing'})")
    started = time.monotonic()
    pending = list(applied.reconciled)

    def all_ready() -> bool:
        pending[:] = [key for key in pending if not ready(kube.get(*key))]
        return not pending
    try:
        demo.wait("every tenancy object to be Ready", all_ready, timeout)
    except DemoError:
        details = [f"{kind}/{name} in {namespace or 'the cluster'}: {_why(kube.get(kind, namespace, name))}"
                   for kind, namespace, name in pending]
        raise DemoError("not every tenancy object became Ready:\n  " + "\n  ".join(details)) from None
    demo.display.say(f"   {len(applied.reconciled)} objects Ready {time.monotonic() - started:.1f}s after apply: "
                     "the shared brand, the platform's installs, each team's accounts and grants and one team's "
                     "own install")
    for team in TEAMS:
        demo.display.say(f"   Secrets in {team}: {', '.join(kube.secret_names(team))} (its own account's "
                         "credentials; the brand token is in qxo-system)")
    writes_before = demo.audit.operator.writes
    refused_messages = []
    for document in applied.refused:
        try:
            kube.create(document)
        except k8s.exceptions.ApiException as error:
            refused_messages.append(refusal(error))
            demo.display.say(f"   {document['metadata']['namespace']} applies {document['kind']}/"
                             f"{document['metadata']['name']}: refused ({error.status}): {refused_messages[-1]}")
            continue
        raise DemoError(f"{document['kind']} {document['metadata']['name']} was admitted; the policy should "
                        "have refused it")
    demo.tick()
    if demo.audit.operator.writes != writes_before:
        raise DemoError("the brand was written to after a refused request")
    demo.finish(record)
    return {"objects_ready": len(applied.reconciled), "refused_at_admission": refused_messages}


def _why(body: dict[str, Any] | None) -> str:
    if body is None:
        return "not found"
    for condition in (body.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready":
            return f"Ready={condition.get('status')} {condition.get('reason')}: {condition.get('message')}"
    return "no status yet"
