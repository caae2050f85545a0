"""Bad input end to end: malformed fixtures and fuzzed specs against admission, `qxo validate` and the operator.

    python benchmarks/bad_input.py [--fuzz-examples 200] [--json]

Every `tests/fixtures/malformed/*.yaml` is created through the kube sandbox (a `# layer: schema`
fixture must be refused with a message naming its `# field:`; a semantic one is admitted and must be
refused by the operator) and checked by `qxo validate` (exit 1, a problem at that field). Then
hypothesis generates specs that qxo's own validator refuses and creates them while the operator runs.
At the end the operator must be alive with no traceback in its log, and the brand must have seen no
write at all: every spec here is invalid.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kubernetes.client.exceptions import ApiException

import harness
from harness import GROUP, PLURALS, VERSION, BrandSandbox, Cluster, KubeSandbox, Process
from qxo.api.catalog import CATALOG
from qxo.api.documents import Document
from qxo.api.validation import validate_documents
from qxo.trust.endpoints import Allowlist

MALFORMED = harness.ROOT / "tests" / "fixtures" / "malformed"
NAMESPACE = "qxo-demo"  # the fixtures' namespace
KINDS = {**PLURALS, "SalesforceLink": "salesforcelinks"}


def header(path: Path) -> tuple[str, str]:
    first, second = path.read_text().splitlines()[:2]
    return first.removeprefix("# field: "), second.removeprefix("# layer: ")


def names_field(text: str, field: str) -> bool:
    # a body the API server cannot decode is a 400 naming the Go struct field: metadata's is ObjectMeta's
    return field in text or (field.startswith("metadata.") and f"ObjectMeta.{field.removeprefix('metadata.')}" in text)


def _create(cluster: Cluster, body: dict[str, Any]) -> str | None:
    """None when admitted, else the API server's message and causes, as one text.

    Strict field validation is what `kubectl apply` asks for by default: unknown fields are refused.
    """
    try:
        cluster.custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, KINDS[body["kind"]], body,
                                                       field_validation="Strict")
        return None
    except ApiException as error:
        try:
            status = json.loads(error.body)
        except (TypeError, ValueError):
            return f"HTTP {error.status}: {error.body}"
        causes = (status.get("details") or {}).get("causes") or ()
        causes = " ".join(f"{c.get('field')}: {c.get('message')}" for c in causes)
        return f"HTTP {error.status}: {status.get('message')} {causes}"


def fixtures_through_admission(cluster: Cluster) -> dict[str, Any]:
    failures, admitted = [], []
    for path in sorted(MALFORMED.glob("*.yaml")):
        field, layer = header(path)
        body = yaml.safe_load(path.read_text())
        if not field.startswith("metadata"):
            body["metadata"]["name"] = path.stem[:63]  # fixtures share names; each gets its own object
        refusal = _create(cluster, body)
        if layer == "schema" and (refusal is None or not names_field(refusal, field)):
            failures.append(f"{path.name}: {'admitted' if refusal is None else refusal[:200]}")
        elif layer == "semantic":
            if refusal is not None:
                failures.append(f"{path.name}: semantic fixture refused by admission: {refusal[:200]}")
            else:
                admitted.append((body["kind"], body["metadata"]["name"], field))
    return {"fixtures": len(list(MALFORMED.glob("*.yaml"))), "admission_failures": failures, "admitted": admitted}


def fixtures_through_validate() -> dict[str, Any]:
    paths = sorted(MALFORMED.glob("*.yaml"))
    result = subprocess.run(harness.qxo("validate", "--output", "json", *map(str, paths)),
                            capture_output=True, text=True, timeout=300)
    report = json.loads(result.stdout)
    failures = []
    for path in paths:
        field, _ = header(path)
        problems = [p for p in report["problems"] if p["file"] == str(path) and p["severity"] == "error"]
        if not any(p["field"] == field or p["field"].startswith((field + ".", field + "[")) for p in problems):
            failures.append(f"{path.name}: no error at {field}: {[p['field'] for p in problems]}")
    return {"validate_exit_code": result.returncode, "validate_failures": failures}


TEXT = st.one_of(st.text(max_size=80), st.sampled_from(["", " ", "a" * 300, "\n", "UR_x", "https://", "*"]))
VALUE = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), TEXT, st.lists(TEXT, max_size=3),
                  st.dictionaries(TEXT, TEXT, max_size=2))
EXTENSION_IDS = st.one_of(st.sampled_from([e.id for e in CATALOG]), TEXT)


def install_specs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"brandRef": st.one_of(st.just({"name": "acme"}), VALUE),
                                  "extensionId": EXTENSION_IDS},
                                 optional={"termsAccepted": VALUE, "previewOptIn": VALUE,
                                           "domains": st.one_of(st.lists(TEXT, max_size=4), VALUE),
                                           "enablement": st.one_of(st.fixed_dictionaries(
                                               {}, optional={"users": st.lists(TEXT, max_size=3),
                                                             "groups": st.lists(TEXT, max_size=3),
                                                             "allUsers": VALUE}), VALUE),
                                           "deletionPolicy": VALUE, "managementPolicy": VALUE, "unknownField": VALUE})


def account_specs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"installRef": st.one_of(st.just({"name": "fuzz-install"}), VALUE),
                                  "displayName": VALUE},
                                 optional={"credentials": st.one_of(st.fixed_dictionaries(
                                     {"secretRef": st.one_of(st.just({"name": "fuzz-secret"}), VALUE)},
                                     optional={"keys": VALUE, "password": TEXT}), VALUE)})


def grant_specs() -> st.SearchStrategy[dict[str, Any]]:
    entry = st.fixed_dictionaries({"user": TEXT}, optional={"access": st.sampled_from(["User", "Owner", "Admin", 1])})
    return st.fixed_dictionaries({"accountRef": st.one_of(st.just({"name": "fuzz-account"}), VALUE)},
                                 optional={"users": st.one_of(st.lists(entry, max_size=3), VALUE),
                                           "groups": VALUE, "allUsers": VALUE})


# The operator reads only Secrets that opt in; the sandboxes listen on the allowed 127.0.0.1.
LABELLED = {"labels": {"qxo.dev/credentials": "true"}}
LOOPBACK = Allowlist.with_defaults(["127.0.0.1"])


def _context() -> list[Document]:
    """What the fuzzed documents refer to, so the validator judges them and not a missing neighbour."""
    meta = {"namespace": NAMESPACE}
    api = f"{GROUP}/{VERSION}"
    bodies = [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "acme-api-token", **meta, **LABELLED},
         "stringData": {"token": "x"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "fuzz-secret", **meta, **LABELLED},
         "stringData": {"k": "x"}},
        {"apiVersion": api, "kind": "QualtricsBrand", "metadata": {"name": "acme", **meta},
         "spec": {"brandId": "acme", "baseURL": "http://127.0.0.1:1", "credentials": {
             "type": "APIToken", "apiTokenSecretRef": {"name": "acme-api-token", "key": "token"}}}},
        {"apiVersion": api, "kind": "ExtensionInstall", "metadata": {"name": "fuzz-install", **meta},
         "spec": {"brandRef": {"name": "acme"}, "extensionId": "webservice"}},
        {"apiVersion": api, "kind": "ExtensionAccount", "metadata": {"name": "fuzz-account", **meta},
         "spec": {"installRef": {"name": "fuzz-install"}, "displayName": "Fuzz",
                  "credentials": {"secretRef": {"name": "fuzz-secret"}}}}]
    return [Document("<context>", 1, body) for body in bodies]


def problems_of(body: dict[str, Any]) -> list[str]:
    """qxo's validator on `body` among its context: the problems of `body` itself."""
    problems = validate_documents([*_context(), Document("<fuzz>", 1, body)], LOOPBACK)
    return [f"{p.field}: {p.message}" for p in problems if p.file == "<fuzz>" and p.severity == "error"]


SEED_USERS = ["ana.lima@acme.example", "Ana.Lima@acme.example", "ben.okafor@acme.example", "nobody@acme.example"]
SEED_GROUPS = ["CX Analysts", "Marketing", "No Such Group"]


def admissible_install_specs() -> st.SearchStrategy[dict[str, Any]]:
    """Well-formed installs that admission accepts but the catalog, the brand or the seed's rules refuse."""
    return st.fixed_dictionaries(
        {"brandRef": st.just({"name": "acme"}), "extensionId": st.sampled_from([e.id for e in CATALOG])},
        optional={"termsAccepted": st.booleans(), "previewOptIn": st.booleans(),
                  "domains": st.lists(st.sampled_from(["https://api.acme.example", "https://*.acme.example"]),
                                      max_size=2, unique=True),
                  "enablement": st.fixed_dictionaries({}, optional={
                      "users": st.lists(st.sampled_from(SEED_USERS), min_size=1, max_size=3),
                      "groups": st.lists(st.sampled_from(SEED_GROUPS), min_size=1, max_size=2, unique=True)})})


def _unknown_names(spec: dict[str, Any]) -> bool:
    enablement = spec.get("enablement") or {}
    return "nobody@acme.example" in (enablement.get("users") or ()) or \
        "No Such Group" in (enablement.get("groups") or ())


def fuzzed(examples: int) -> list[dict[str, Any]]:
    """Documents that qxo's own validator refuses (valid draws are skipped: they could rightly write)."""
    kinds = st.one_of(st.tuples(st.just("ExtensionInstall"), install_specs()),
                      st.tuples(st.just("ExtensionAccount"), account_specs()),
                      st.tuples(st.just("AccountGrant"), grant_specs()),
                      st.tuples(st.just("ExtensionInstall"), admissible_install_specs()))
    found: list[dict[str, Any]] = []

    @settings(max_examples=examples, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(kinds)
    def collect(drawn: tuple[str, dict[str, Any]]) -> None:
        kind, spec = drawn
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": kind,
                "metadata": {"name": f"fuzz-{len(found):04d}", "namespace": NAMESPACE}, "spec": spec}
        # Invalid offline, or naming a user or group the brand does not have (only the operator can tell).
        if problems_of(body) or (kind == "ExtensionInstall" and _unknown_names(spec)):
            found.append(body)

    collect()
    return found


def brand_documents(brand: BrandSandbox) -> list[dict[str, Any]]:
    meta = {"namespace": NAMESPACE}
    return [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "acme-api-token", **meta, **LABELLED},
             "stringData": {"token": brand.token}},
            {"apiVersion": f"{GROUP}/{VERSION}", "kind": "QualtricsBrand", "metadata": {"name": "acme", **meta},
             "spec": {"brandId": "acme", "baseURL": brand.url, "credentials": {
                 "type": "APIToken", "apiTokenSecretRef": {"name": "acme-api-token", "key": "token"}}}}]


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    brand, kube = BrandSandbox(workdir).start(), KubeSandbox(workdir).start()
    cluster = Cluster(kube)
    operator = Process(harness.qxo_operator("--namespace", NAMESPACE), workdir / "operator.log",
                       env={"KUBECONFIG": str(kube.kubeconfig)})
    try:
        cluster.apply_crds()
        cluster.core.create_namespace({"metadata": {"name": NAMESPACE}})
        cluster.core.create_namespaced_secret(NAMESPACE, brand_documents(brand)[0])
        cluster.custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "qualtricsbrands",
                                                       brand_documents(brand)[1])
        operator.start()
        before = brand.totals()
        result = fixtures_through_admission(cluster)
        result.update(fixtures_through_validate())
        documents = fuzzed(args.fuzz_examples)
        admitted = [body for body in documents if _create(cluster, body) is None]
        result.update(fuzzed_invalid=len(documents), fuzzed_refused_by_admission=len(documents) - len(admitted),
                      fuzzed_admitted=len(admitted), fuzzed_admitted_examples=[
                          {"kind": b["kind"], "spec": b["spec"], "problems": problems_of(b)} for b in admitted[:5]])
        time.sleep(args.settle)  # the operator looks at everything admitted
        after = brand.totals()
        result["brand_write_calls"] = [f"{e['method']} {e['path']} -> {e['status']}"
                                       for e in brand.audit(before["last"]) if e["method"] != "GET"]
        log = operator.log_text()
        result.update(brand_writes=after["writes"] - before["writes"], operator_alive=operator.alive(),
                      tracebacks_in_log=log.count("Traceback"), operator_errors=log.count(" ERROR "))
        return result
    finally:
        operator.stop()
        cluster.close()
        kube.process.stop()
        brand.process.stop()


def passed(result: dict[str, Any]) -> bool:
    return (not result["admission_failures"] and not result["validate_failures"] and result["validate_exit_code"] == 1
            and result["brand_writes"] == 0 and result["operator_alive"] and result["tracebacks_in_log"] == 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz-examples", type=int, default=200, help="hypothesis draws (invalid ones are applied)")
    parser.add_argument("--settle", type=float, default=10, help="seconds the operator gets after the last apply")
    parser.add_argument("--keep-logs", metavar="DIR", help="keep sandbox and operator logs here")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    harness.stop_on_sigterm()
    with harness.workdir(args.keep_logs, "qxo-bad-input-") as workdir:
        result = run(args, workdir)
    result["admitted"] = [f"{kind}/{name} ({field})" for kind, name, field in result["admitted"]]
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())
