"""manifests/ rendered by kubectl kustomize: least-privilege RBAC and a hardened Deployment."""

from __future__ import annotations

import pytest
import yaml
from deploykit import CRD_FILES, ROOT, by_kind, crds_present, kustomize, one

PLURALS = ["qualtricsbrands", "extensioninstalls", "extensionaccounts", "accountgrants", "salesforcelinks"]
CLUSTER_PLURALS = ["clusterqualtricsbrands", "extensionpolicies"]
OPERATOR = {"kind": "ServiceAccount", "name": "qxo-operator", "namespace": "qxo-system"}
RENDERS = ["manifests", "manifests/overlays/namespaced"]
NAMESPACED_KINDS = {"ServiceAccount", "Deployment", "Role", "RoleBinding"}

# Every permission the operator holds, by where it holds it: adding one must be deliberate.
CLUSTER_RULES = {
    "qxo-operator-discovery": [
        (("apiextensions.k8s.io",), ("customresourcedefinitions",), ("list", "watch")),
        (("",), ("namespaces",), ("list", "watch")),
    ],
    "qxo-operator-resources": [
        (("qxo.dev",), tuple(PLURALS), ("list", "watch", "patch")),
        (("qxo.dev",), tuple(f"{p}/status" for p in PLURALS), ("patch",)),
        (("",), ("events",), ("create",)),
    ],
    "qxo-operator-platform": [
        (("qxo.dev",), ("clusterqualtricsbrands",), ("list", "watch", "patch")),
        (("qxo.dev",), ("clusterqualtricsbrands/status",), ("patch",)),
        (("qxo.dev",), ("extensionpolicies",), ("list", "watch")),
    ],
}
# Only the verbs the code uses: no Secret update or delete (the token Secret goes with its link, by
# Kubernetes' garbage collector), ConfigMaps only read by name.
TENANT_RULES = {
    "qxo-operator-reference-reader": [
        (("",), ("secrets",), ("get", "list", "watch")),
        (("",), ("configmaps",), ("get",)),
    ],
    "qxo-operator-link-token-writer": [
        (("",), ("secrets",), ("create", "patch")),
    ],
    "qxo-operator-resources": CLUSTER_RULES["qxo-operator-resources"],
}


def rules_of(role: dict) -> list[tuple]:
    return [
        (tuple(rule.get("apiGroups", ())), tuple(rule.get("resources", ())), tuple(rule["verbs"]))
        for rule in role["rules"]
    ]


def project_version() -> str:
    import qxo

    return qxo.__version__


@pytest.fixture(scope="module")
def default_install(render):
    return render("manifests")


@pytest.fixture(scope="module")
def namespaced_install(render):
    return render("manifests/overlays/namespaced")


@pytest.fixture(scope="module")
def deployment(default_install):
    return one(default_install, "Deployment", "qxo-operator")


@pytest.fixture(scope="module")
def container(deployment):
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_default_install_has_namespace_identity_and_operator(default_install):
    one(default_install, "Namespace", "qxo-system")
    assert one(default_install, "ServiceAccount", "qxo-operator")["metadata"]["namespace"] == "qxo-system"
    assert one(default_install, "Deployment", "qxo-operator")["metadata"]["namespace"] == "qxo-system"


def test_namespace_enforces_the_restricted_pod_security_standard(default_install):
    labels = one(default_install, "Namespace", "qxo-system")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_one_replica_replaced_not_rolled(deployment):
    # kopf peering would pause two equal replicas; Recreate never runs two pods at once.
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


def test_selector_matches_pod_labels(deployment):
    selector = deployment["spec"]["selector"]["matchLabels"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()


def test_pod_runs_as_the_operator_account_with_its_token(deployment):
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "qxo-operator"
    assert pod["automountServiceAccountToken"] is True


def test_pod_and_container_are_non_root_and_locked_down(deployment, container):
    pod_security = deployment["spec"]["template"]["spec"]["securityContext"]
    assert pod_security["runAsNonRoot"] is True
    assert pod_security["runAsUser"] == 65532
    assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == 65532
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "privileged" not in security or security["privileged"] is False


def test_only_tmp_is_writable(deployment, container):
    volumes = {volume["name"]: volume for volume in deployment["spec"]["template"]["spec"]["volumes"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    assert mounts == {"/tmp": "tmp"}
    assert "emptyDir" in volumes["tmp"]
    assert all(set(volume) <= {"name", "emptyDir"} for volume in volumes.values()), "no hostPath or other volumes"


def test_runs_the_operator_cluster_wide_with_kopf_liveness(container):
    assert container["args"] == ["operator", "--all-namespaces", "--liveness", "http://0.0.0.0:8080/healthz",
                                 "--metrics-port", "9090", "--metrics-bind-address", "0.0.0.0"]
    assert "command" not in container, "the image's ENTRYPOINT is qxo"


def test_liveness_probe_hits_the_liveness_endpoint(container):
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    for probe_name in ("livenessProbe", "startupProbe"):
        probe = container[probe_name]["httpGet"]
        assert probe["path"] == "/healthz"
        assert ports[probe["port"]] == 8080, f"{probe_name} must target the --liveness port"


def test_metrics_port_is_named_and_annotated_for_scraping(deployment, container):
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["metrics"] == 9090
    # The command keeps metrics on loopback unless told: the pod listens where Prometheus can scrape it.
    args = container["args"]
    assert args[args.index("--metrics-bind-address") + 1] == "0.0.0.0"
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(ports["metrics"])
    assert annotations["prometheus.io/path"] == "/metrics"


def test_resources_have_requests_and_limits(container):
    resources = container["resources"]
    for key in ("cpu", "memory"):
        assert key in resources["requests"] and key in resources["limits"], key
    assert _mebibytes(resources["requests"]["memory"]) <= _mebibytes(resources["limits"]["memory"])


def _mebibytes(quantity: str) -> int:
    units = {"Mi": 1, "Gi": 1024}
    return int(quantity[:-2]) * units[quantity[-2:]]


def test_image_is_pinned_to_the_project_version(render):
    for name in RENDERS:
        for deploy in by_kind(render(name), "Deployment"):
            for container in deploy["spec"]["template"]["spec"]["containers"]:
                image = container["image"]
                repository, _, tag = image.rpartition(":")
                assert repository and tag, f"{image} has no tag"
                assert tag != "latest"
                assert tag == project_version(), "the manifests deploy the version being released"
                assert container["imagePullPolicy"] == "IfNotPresent"


@pytest.mark.parametrize("name", RENDERS)
def test_no_wildcards_in_any_rule(render, name):
    for role in by_kind(render(name), "ClusterRole") + by_kind(render(name), "Role"):
        for rule in role["rules"]:
            for field in ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs"):
                assert "*" not in rule.get(field, []), f"{role['metadata']['name']}: {field} has '*'"


@pytest.mark.parametrize("name", RENDERS)
def test_secrets_are_never_granted_cluster_wide(render, name):
    docs = render(name)
    for role in by_kind(docs, "ClusterRole"):
        granted = {resource for rule in role["rules"] for resource in rule.get("resources", [])}
        assert "secrets" not in granted, f"ClusterRole {role['metadata']['name']} grants Secrets"
    for binding in by_kind(docs, "RoleBinding"):
        # A RoleBinding to a ClusterRole would reuse cluster-wide rules; qxo binds Roles only.
        assert binding["roleRef"]["kind"] == "Role"


def test_cluster_roles_grant_exactly_what_kopf_and_the_qxo_kinds_need(default_install):
    roles = {role["metadata"]["name"]: rules_of(role) for role in by_kind(default_install, "ClusterRole")}
    assert roles == CLUSTER_RULES


def test_default_install_reads_secrets_only_in_qxo_system(default_install):
    roles = by_kind(default_install, "Role")
    assert {(role["metadata"]["namespace"], role["metadata"]["name"]) for role in roles} == {
        ("qxo-system", "qxo-operator-reference-reader"),
        ("qxo-system", "qxo-operator-link-token-writer"),
    }
    for role in roles:
        assert rules_of(role) == TENANT_RULES[role["metadata"]["name"]]


def test_examples_namespace_has_a_ready_tenant(render):
    # examples/ lives in qxo-demo; its Secrets are readable once this tenant is applied.
    namespaces = {doc["metadata"]["namespace"] for doc in render("manifests/tenants/qxo-demo")}
    assert namespaces == {"qxo-demo"}
    examples_namespaces = {
        doc["metadata"].get("namespace")
        for path in (ROOT / "examples").glob("*.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc["kind"] != "Namespace"
    }
    assert examples_namespaces == {"qxo-demo"}


def test_secret_writing_is_a_role_of_its_own(default_install):
    # The token writer is split from the reader so namespaces without SalesforceLinks
    # can bind read access alone.
    reader = one(default_install, "Role", "qxo-operator-reference-reader")
    read_verbs = {verb for rule in reader["rules"] for verb in rule["verbs"]}
    assert read_verbs == {"get", "list", "watch"}
    writer = one(default_install, "Role", "qxo-operator-link-token-writer")
    assert {verb for rule in writer["rules"] for verb in rule["verbs"]} == {"create", "patch"}


def test_every_rbac_rule_says_which_code_uses_it():
    # Finding 8 of the trust review: rules granted "just in case" (Secret update and delete) that no code
    # used. Each rule now carries a comment naming its user; a rule without one is a rule to question.
    for path in sorted((ROOT / "manifests").rglob("rbac-*.yaml")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if line.strip().startswith("- apiGroups:"):
                above = lines[number - 1].strip()
                assert above.startswith("#"), f"{path.name}:{number + 1}: a rule without a comment saying its user"


@pytest.mark.parametrize("name", RENDERS)
def test_every_binding_binds_the_operator_to_a_rendered_role(render, name):
    docs = render(name)
    roles = {("ClusterRole", r["metadata"]["name"], None) for r in by_kind(docs, "ClusterRole")}
    roles |= {("Role", r["metadata"]["name"], r["metadata"]["namespace"]) for r in by_kind(docs, "Role")}
    bound = set()
    for binding in by_kind(docs, "ClusterRoleBinding") + by_kind(docs, "RoleBinding"):
        namespace = binding["metadata"].get("namespace") if binding["kind"] == "RoleBinding" else None
        key = (binding["roleRef"]["kind"], binding["roleRef"]["name"], namespace)
        assert key in roles, f"{binding['kind']}/{binding['metadata']['name']} refers to a missing role"
        assert binding["subjects"] == [OPERATOR]
        bound.add(key)
    assert bound == roles, "every role is bound, and only once"


def test_namespaced_overlay_grants_nothing_on_namespaced_qxo_kinds_cluster_wide(namespaced_install):
    cluster_roles = {role["metadata"]["name"]: role for role in by_kind(namespaced_install, "ClusterRole")}
    assert set(cluster_roles) == {"qxo-operator-discovery", "qxo-operator-platform"}
    # Cluster-wide, only the cluster-scoped kinds the platform team declares.
    granted = {r for rule in cluster_roles["qxo-operator-platform"]["rules"] for r in rule["resources"]}
    assert {r.split("/")[0] for r in granted} == set(CLUSTER_PLURALS)


def test_namespaced_overlay_watches_exactly_the_namespaces_it_grants(namespaced_install):
    (container,) = one(namespaced_install, "Deployment", "qxo-operator")["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert "--all-namespaces" not in args
    watched = {args[i + 1] for i, arg in enumerate(args) if arg == "--namespace"}
    assert watched == {"team-a", "team-b"}
    for namespace in watched:
        names = {
            role["metadata"]["name"]
            for role in by_kind(namespaced_install, "Role")
            if role["metadata"]["namespace"] == namespace
        }
        assert names == set(TENANT_RULES), namespace
    granted = {role["metadata"]["namespace"] for role in by_kind(namespaced_install, "Role")}
    assert granted == watched
    assert args[-6:] == ["--liveness", "http://0.0.0.0:8080/healthz", "--metrics-port", "9090",
                         "--metrics-bind-address", "0.0.0.0"]


@pytest.mark.parametrize("name", RENDERS)
def test_every_object_carries_the_qxo_labels(render, name):
    for doc in render(name):
        labels = doc["metadata"].get("labels", {})
        assert labels.get("app.kubernetes.io/name") == "qxo", f"{doc['kind']}/{doc['metadata']['name']}"
        assert labels.get("app.kubernetes.io/part-of") == "qxo", f"{doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize("name", RENDERS)
def test_namespaced_objects_name_their_namespace(render, name):
    for doc in render(name):
        if doc["kind"] in NAMESPACED_KINDS:
            assert doc["metadata"].get("namespace"), f"{doc['kind']}/{doc['metadata']['name']} has no namespace"


def test_crd_kustomization_lists_every_crd_file():
    kustomization = yaml.safe_load((ROOT / "crds" / "kustomization.yaml").read_text())
    assert kustomization["resources"] == CRD_FILES


@pytest.mark.skipif(
    not crds_present(),
    reason="crds/qxo.dev_*.yaml have not landed yet (written on another branch); "
    "this renders the full tree once they exist",
)
def test_full_tree_installs_every_crd_with_the_operator_and_the_admission_policies():
    docs = kustomize(ROOT / "manifests")
    crds = by_kind(docs, "CustomResourceDefinition")
    assert sorted(crd["spec"]["names"]["plural"] for crd in crds) == sorted(PLURALS + CLUSTER_PLURALS)
    policies = {doc["metadata"]["name"] for doc in by_kind(docs, "ValidatingAdmissionPolicy")}
    assert policies == {doc["metadata"]["name"] for doc in by_kind(docs, "ValidatingAdmissionPolicyBinding")}
    assert policies == {"qxo-extension-policy-installs", "qxo-extension-policy-accounts",
                        "qxo-extension-policy-grants", "qxo-cluster-brand-namespaces"}
    assert all(crd["spec"]["group"] == "qxo.dev" for crd in crds)
    one(docs, "Deployment", "qxo-operator")
    # The RBAC names exactly the plurals the CRDs declare.
    (resources,) = [r for r in by_kind(docs, "ClusterRole") if r["metadata"]["name"] == "qxo-operator-resources"]
    assert set(resources["rules"][0]["resources"]) == {crd["spec"]["names"]["plural"] for crd in crds
                                                        if crd["spec"]["scope"] == "Namespaced"}


def _operator_command_missing() -> bool:
    from qxo.cli import build_parser

    return "operator" not in build_parser().format_help()


@pytest.mark.skipif(
    _operator_command_missing(), reason="`qxo operator` has not landed yet; its flags are checked once it exists"
)
@pytest.mark.parametrize("name", RENDERS)
def test_deployment_args_are_accepted_by_qxo_operator(render, name):
    from qxo.cli import build_parser

    (container,) = one(render(name), "Deployment", "qxo-operator")["spec"]["template"]["spec"]["containers"]
    args = build_parser().parse_args(container["args"])
    assert callable(args.func)
