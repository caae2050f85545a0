"""One table of tenancy requests, answered by qxo.api.policy, the kube sandbox and the real API server alike.

The platform side (namespaces, a ClusterQualtricsBrand, two ExtensionPolicies) is set up once; each
case is one object a namespace asks for, and the verdict the pure module gives it. The sandbox's
and the real server's answers to the same request must be that verdict in a ValidatingAdmissionPolicy
refusal (or an admission): tests/kube/test_tenancy_admission.py and
tests/realcluster/test_real_tenancy_admission.py. Names start with `tn-` so a shared control plane
keeps them apart from other tests.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from qxo.api import parse_object
from qxo.api.policy import Subject, Verdict, brand_verdict, policy_verdicts
from qxo.demo.tenancy import RESOURCE_PATHS

BRAND = "tn-acme"
NAMESPACES: dict[str, dict[str, str]] = {
    "tn-team": {"qxo-test/brand": "acme", "qxo-test/tenant": "true", "qxo-test/tier": "gold"},
    "tn-team-bronze": {"qxo-test/brand": "acme", "qxo-test/tenant": "true", "qxo-test/tier": "bronze"},
    "tn-platform": {"qxo-test/brand": "acme"},
    "tn-strict": {"qxo-test/brand": "acme", "qxo-test/strict": "yes"},
    "tn-exempt": {"qxo-test/brand": "acme", "qxo-test/strict": "yes", "qxo-test/exempt": ""},
    "tn-outsider": {},
}
CLUSTER_BRAND = {
    "apiVersion": "qxo.dev/v1alpha1", "kind": "ClusterQualtricsBrand", "metadata": {"name": BRAND},
    "spec": {"brandId": "acme", "datacenter": "iad1",
             "credentials": {"type": "APIToken", "apiTokenSecretRef": {"name": "acme-brand-admin"}},
             "namespaceSelector": {"matchExpressions": [
                 {"key": "qxo-test/brand", "operator": "In", "values": ["acme"]}]}},
}
POLICIES = [
    {"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionPolicy", "metadata": {"name": "tn-teams"},
     "spec": {
         "namespaceSelector": {"matchLabels": {"qxo-test/tenant": "true"},
                               "matchExpressions": [{"key": "qxo-test/tier", "operator": "NotIn",
                                                     "values": ["bronze"]}]},
         "extensions": {"ids": ["brandwatch", "webservice", "jira"], "thirdParty": True, "preview": False},
         "acceptance": {"terms": "Platform", "previewOptIn": "Team"},
         "domains": {"suffixes": ["acme.example", "atlassian.net"]},
         "access": {"allUsers": False, "owner": False}}},
    {"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionPolicy", "metadata": {"name": "tn-strict"},
     "spec": {
         "namespaceSelector": {"matchExpressions": [{"key": "qxo-test/strict", "operator": "Exists"},
                                                    {"key": "qxo-test/exempt", "operator": "DoesNotExist"}]},
         "extensions": {"ids": ["webservice"], "thirdParty": False},
         "acceptance": {"terms": "Team"}}},
]
VAP_OF = {"ExtensionInstall": "qxo-extension-policy-installs", "ExtensionAccount": "qxo-extension-policy-accounts",
          "AccountGrant": "qxo-extension-policy-grants"}
BRAND_VAP = "qxo-cluster-brand-namespaces"


def namespace_documents() -> list[dict[str, Any]]:
    return [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
            for name, labels in NAMESPACES.items()]


def platform_documents() -> list[dict[str, Any]]:
    """Everything the cases need before they are asked, in the order to apply it."""
    return [*namespace_documents(), CLUSTER_BRAND, *POLICIES]


def _install(name: str, namespace: str, extension: str, brand_kind: str = "ClusterQualtricsBrand",
             **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionInstall",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"brandRef": {"kind": brand_kind, "name": BRAND}, "extensionId": extension, **spec}}


def _account(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "qxo.dev/v1alpha1", "kind": "ExtensionAccount",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"displayName": name, "credentials": {"secretRef": {"name": name}}, **spec}}


def _grant(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "qxo.dev/v1alpha1", "kind": "AccountGrant",
            "metadata": {"name": name, "namespace": namespace}, "spec": {"accountRef": {"name": name}, **spec}}


def _on_brand(extension: str) -> dict[str, Any]:
    return {"brandRef": {"kind": "ClusterQualtricsBrand", "name": BRAND}, "extensionId": extension}


@dataclass(frozen=True)
class Case:
    """One request; `rule` is the rule expected to refuse it (None: admitted), said here so the table reads."""

    id: str
    body: dict[str, Any]
    rule: str | None


CASES = [
    Case("install-listed", _install("a1", "tn-team", "jira", domains=["https://acme.atlassian.net"]), None),
    Case("install-unlisted", _install("a2", "tn-team", "google-sheets"), "spec.extensions.ids"),
    Case("install-terms-by-team", _install("a3", "tn-team", "brandwatch", termsAccepted=True),
         "spec.acceptance.terms"),
    Case("install-preview", _install("a4", "tn-team", "webservice", previewOptIn=True), "spec.extensions.preview"),
    Case("install-domain-outside", _install("a5", "tn-team", "webservice", domains=[
        "https://api.acme.example", "https://*.acme.example:8443", "https://evil.example.org"]),
        "spec.domains.suffixes"),
    Case("install-domain-is-suffix", _install("a6", "tn-team", "webservice", domains=["https://acme.example"]),
         None),
    Case("install-lookalike-suffix", _install("a7", "tn-team", "webservice", domains=["https://notacme.example"]),
         "spec.domains.suffixes"),
    Case("platform-accepts-terms", _install("a8", "tn-platform", "brandwatch", termsAccepted=True), None),
    Case("not-in-brand-selector", _install("a9", "tn-outsider", "jira"), "spec.namespaceSelector"),
    Case("namespaced-brand-is-not-judged", _install("a10", "tn-outsider", "jira", brand_kind="QualtricsBrand"),
         None),
    Case("policy-notin-tier", _install("a11", "tn-team-bronze", "brandwatch", termsAccepted=True), None),
    Case("strict-exists", _install("a12", "tn-strict", "jira"), "spec.extensions.ids"),
    Case("strict-third-party", _install("a13", "tn-strict", "webservice", termsAccepted=True),
         "spec.extensions.thirdParty"),
    Case("strict-exempt", _install("a14", "tn-exempt", "jira"), None),
    Case("account-listed", _account("b1", "tn-team", **_on_brand("brandwatch")), None),
    Case("account-unlisted", _account("b2", "tn-team", **_on_brand("google-sheets")), "spec.extensions.ids"),
    Case("account-by-install-ref", _account("b3", "tn-team", installRef={"name": "a1"}), None),
    Case("account-outside-brand", _account("b4", "tn-outsider", **_on_brand("jira")), "spec.namespaceSelector"),
    Case("grant-all-users", _grant("c1", "tn-team", allUsers={"access": "User"}), "spec.access.allUsers"),
    Case("grant-owner-user", _grant("c2", "tn-team", users=[{"user": "ana@acme.example", "access": "User"},
                                                           {"user": "ops@acme.example", "access": "Owner"}]),
         "spec.access.owner"),
    Case("grant-owner-group", _grant("c3", "tn-team", groups=[{"group": "Leads", "access": "Owner"}]),
         "spec.access.owner"),
    Case("grant-users", _grant("c4", "tn-team", users=[{"user": "ana@acme.example"}]), None),
    Case("grant-all-users-on-platform", _grant("c5", "tn-platform", allUsers={}), None),
]


def verdict(case: Case) -> Verdict | None:
    """What qxo.api.policy says of the case's object, knowing what admission knows (no catalog, no count)."""
    obj = parse_object(case.body)
    namespace = case.body["metadata"]["namespace"]
    labels = {**NAMESPACES[namespace], "kubernetes.io/metadata.name": namespace}
    brand_ref = getattr(obj.spec, "brand_ref", None)
    if brand_ref is not None and brand_ref.cluster:
        found = brand_verdict(parse_object(CLUSTER_BRAND), namespace, labels)
        if found is not None:
            return found
    verdicts = policy_verdicts([parse_object(p) for p in POLICIES], Subject(obj, namespace, labels))
    return verdicts[0] if verdicts else None


def admission_answer(case: Case) -> str | None:
    """The refusal an API server gives the case (the message of its Status), None when admitted."""
    found = verdict(case)
    if found is None:
        return None
    vap = BRAND_VAP if found.policy_kind == "ClusterQualtricsBrand" else VAP_OF[case.body["kind"]]
    plural = {"ExtensionInstall": "extensioninstalls", "ExtensionAccount": "extensionaccounts",
              "AccountGrant": "accountgrants"}[case.body["kind"]]
    return (f'{plural}.qxo.dev "{case.body["metadata"]["name"]}" is forbidden: ValidatingAdmissionPolicy '
            f"'{vap}' with binding '{vap}' denied request: {found.text()}")


# -- ValidatingAdmissionPolicy itself: a probe of the semantics qxo's policies rely on ----------------------------
# A policy on AccountGrants in namespaces labelled qxo-test/probe, with a ConfigMap parameter found by name, each
# validation refusing one object name; the answers were read from a v1.33 API server.
PROBE_NAMESPACE, PROBE_PARAMS_NAMESPACE = "tn-probe", "tn-probe-params"
PROBE = [
    {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
     "metadata": {"name": "tn-probe"},
     "spec": {
         "failurePolicy": "Fail",
         "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
         "matchConstraints": {"resourceRules": [{"apiGroups": ["qxo.dev"], "apiVersions": ["v1alpha1"],
                                                 "operations": ["CREATE", "UPDATE"], "resources": ["accountgrants"]}]},
         "matchConditions": [{"name": "not-skipped", "expression": "object.metadata.name != 'skipped'"}],
         "variables": [{"name": "broken", "expression": "object.spec.nope.x"},
                       {"name": "limit", "expression": "int(params.data.limit)"}],
         "validations": [
             {"expression": "object.metadata.name != 'err' || variables.broken == 1"},
             {"expression": "object.metadata.name != 'nomsg'"},
             {"expression": "object.metadata.name != 'badmsg'", "message": "static words",
              "messageExpression": "string(object.spec.nope)"},
             {"expression": "object.metadata.name != 'forbid'", "reason": "Forbidden", "message": "forbidden words"},
             {"expression": "size(object.spec.users) <= variables.limit",
              "messageExpression": "'at most ' + string(variables.limit) + ' users, not ' + "
                                   "string(size(object.spec.users))"},
         ]}},
    {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
     "metadata": {"name": "tn-probe"},
     "spec": {"policyName": "tn-probe", "validationActions": ["Deny"],
              "paramRef": {"name": "tn-probe-params", "namespace": PROBE_PARAMS_NAMESPACE,
                           "parameterNotFoundAction": "Deny"},
              "matchResources": {"namespaceSelector": {"matchLabels": {"qxo-test/probe": "yes"}}}}},
]
PROBE_NAMESPACES = [
    {"apiVersion": "v1", "kind": "Namespace",
     "metadata": {"name": PROBE_NAMESPACE, "labels": {"qxo-test/probe": "yes"}}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": PROBE_PARAMS_NAMESPACE}},
]
PROBE_PARAMS = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "tn-probe-params", "namespace": PROBE_PARAMS_NAMESPACE}, "data": {"limit": "1"}}


def probe_grant(name: str, users: int = 1, namespace: str = PROBE_NAMESPACE) -> dict[str, Any]:
    return {"apiVersion": "qxo.dev/v1alpha1", "kind": "AccountGrant",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"accountRef": {"name": "a"}, "users": [{"user": f"u{i}@acme.example"} for i in range(users)]}}


def _refused(name: str, words: str, code: int = 422) -> tuple[int, str]:
    return code, (f'accountgrants.qxo.dev "{name}" is forbidden: ValidatingAdmissionPolicy \'tn-probe\' with binding '
                  f"'tn-probe' denied request: {words}")


_NO_PARAMS = "failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction"
# (object, answer once the parameter exists): (HTTP code, message), or None when admitted. Before the parameter
# exists every object the binding matches is refused for want of it, even one the matchConditions skip.
PROBE_CASES = [
    (probe_grant("ok"), None),
    (probe_grant("ok", namespace=PROBE_PARAMS_NAMESPACE), None),
    (probe_grant("skipped", users=3), None),
    (probe_grant("err"), _refused("err", "expression 'object.metadata.name != 'err' || variables.broken == 1' "
                                        "resulted in error: composited variable \"broken\" fails to evaluate: no such "
                                        "key: nope")),
    (probe_grant("nomsg"), _refused("nomsg", "failed expression: object.metadata.name != 'nomsg'")),
    (probe_grant("badmsg"), _refused("badmsg", "static words")),
    (probe_grant("forbid"), _refused("forbid", "forbidden words", 403)),
    (probe_grant("many", users=2), _refused("many", "at most 1 users, not 2")),
]


def probe_before(body: dict[str, Any]) -> tuple[int, str] | None:
    """The answer to a probe object while the binding's parameter does not exist."""
    name, namespace = body["metadata"]["name"], body["metadata"]["namespace"]
    return _refused(name, _NO_PARAMS) if namespace == PROBE_NAMESPACE else None


# -- A plain REST client, so both servers' answers are compared as sent (Status code and message) -----------------
_PATHS = {**RESOURCE_PATHS, "ConfigMap": ("/api/v1", "configmaps", True),
          "CustomResourceDefinition": ("/apis/apiextensions.k8s.io/v1", "customresourcedefinitions", False)}


class Rest:
    """POST and DELETE against an API server named by a kubeconfig (a bearer token and a CA, or neither)."""

    def __init__(self, kubeconfig: str) -> None:
        config = yaml.safe_load(Path(kubeconfig).read_text())
        cluster = config["clusters"][0]["cluster"]
        user = (config.get("users") or [{}])[0].get("user") or {}
        self.url = cluster["server"]
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE and proxies would win over the kubeconfig's CA
        if user.get("token"):
            self.session.headers["Authorization"] = f"Bearer {user['token']}"
        self.session.verify = False
        if cluster.get("certificate-authority-data"):
            ca = Path(kubeconfig).with_suffix(".ca.crt")
            ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
            self.session.verify = str(ca)

    def _path(self, body: dict[str, Any], named: bool = False) -> str:
        prefix, plural, namespaced = _PATHS[body["kind"]]
        meta = body["metadata"]
        path = f"{prefix}/namespaces/{meta['namespace']}/{plural}" if namespaced else f"{prefix}/{plural}"
        return f"{path}/{meta['name']}" if named else path

    def create(self, body: dict[str, Any], dry_run: bool = True) -> tuple[int, dict[str, Any]]:
        response = self.session.post(self.url + self._path(body), json=body, timeout=30,
                                     params={"dryRun": "All"} if dry_run else None)
        return response.status_code, response.json()

    def ensure(self, bodies: list[dict[str, Any]]) -> None:
        """Create each object for real; one that exists already is left as it is."""
        for body in bodies:
            code, answer = self.create(body, dry_run=False)
            assert code in (201, 409), (body["kind"], body["metadata"]["name"], answer)

    def delete(self, body: dict[str, Any]) -> None:
        self.session.delete(self.url + self._path(body, named=True), timeout=30)


def answer(code: int, payload: dict[str, Any]) -> tuple[int, str] | None:
    """(code, message) of a refusal; None for an admission."""
    return None if code in (200, 201) else (code, payload.get("message", ""))
