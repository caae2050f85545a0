"""The ValidatingAdmissionPolicies that enforce the tenancy rules at admission, generated from qxo.api.policy.

`python -m qxo.api.admission_policy DIR` (run by `make crds`) writes them with their bindings to
manifests/policy/ and the Helm chart. Each rule of qxo.api.policy is one validation here, in the same
order, and its messageExpression is built from the same message template, so the API server, the
operator and `qxo validate` answer in the same words.

Semantics relied on (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/):
a binding whose `paramRef.selector` selects several parameter objects evaluates the policy once per
object; `parameterNotFoundAction: Allow` admits when there is none; the CEL variables are `object`,
`oldObject`, `request`, `params`, `namespaceObject` and `variables` (each variable evaluated lazily,
at most once per evaluation); the first validation that is false denies with its messageExpression.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import yaml

from qxo.api import policy
from qxo.api.common import GROUP, VERSION

ADMISSION = "admissionregistration.k8s.io/v1"

# Namespace selection in CEL: matchLabels and every matchExpressions operator, as LabelSelector.selects does.
_SELECTED = (
    "(!has(variables.selector.matchLabels) || variables.selector.matchLabels.all(k, k in variables.labels"
    " && variables.labels[k] == variables.selector.matchLabels[k]))"
    " && (!has(variables.selector.matchExpressions) || variables.selector.matchExpressions.all(e,"
    " e.operator == 'In' ? (e.key in variables.labels && variables.labels[e.key] in e.values)"
    " : e.operator == 'NotIn' ? !(e.key in variables.labels && variables.labels[e.key] in e.values)"
    " : e.operator == 'Exists' ? e.key in variables.labels"
    " : !(e.key in variables.labels)))"
)
_SELECTION = [
    {"name": "labels", "expression": "has(namespaceObject.metadata.labels) ? namespaceObject.metadata.labels : {}"},
    {"name": "selector", "expression": "params.spec.namespaceSelector"},
    {"name": "selected", "expression": _SELECTED},
]
# Only a change of the spec is judged: the operator's finalizer and annotation patches (and the removal of
# the finalizer when an object a newer policy refuses is deleted) must never be refused.
_SPEC_CHANGED = [{"name": "spec-changed",
                  "expression": "request.operation == 'CREATE' || object.spec != oldObject.spec"}]
_HOST = "d.substring(8).split(':')[0]"


def cel_message(template: str, **expressions: str) -> str:
    """A CEL string expression saying `template` with each {name} replaced by the CEL `expressions[name]`."""
    pieces: list[tuple[bool, str]] = []  # (literal?, text)
    for index, part in enumerate(re.split(r"\{(\w+)\}", template)):
        if index % 2:
            pieces.append((False, expressions[part]))
        elif part:
            if "'" in part or "\\" in part:
                raise ValueError(f"message template needs escaping: {template!r}")
            if pieces and pieces[-1][0]:
                pieces[-1] = (True, pieces[-1][1] + part)
            else:
                pieces.append((True, part))
    return " + ".join(f"'{text}'" if literal else text for literal, text in pieces)


def _rule(kind: str, rule: str, field: str, when_allowed: str, template: str, **expressions: str) -> dict[str, Any]:
    # The policy's name is the one placeholder every message shares; the rest is the template's.
    words = f"{kind} {{policy}} ({rule}): {field}: {template}"
    return {
        "expression": f"!variables.selected || {when_allowed}" if kind == "ExtensionPolicy" else when_allowed,
        "messageExpression": cel_message(words, policy="params.metadata.name", **expressions),
        "message": re.sub(r"\{(\w+)\}", r"<\1>", words),
        "reason": "Invalid",
    }


def _policy(name: str, param_kind: str, resources: list[str], variables: list[dict[str, str]],
            validations: list[dict[str, Any]], purpose: str) -> list[dict[str, Any]]:
    vap = {
        "apiVersion": ADMISSION,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name, "annotations": {"qxo.dev/purpose": purpose}},
        "spec": {
            "failurePolicy": "Fail",
            "paramKind": {"apiVersion": f"{GROUP}/{VERSION}", "kind": param_kind},
            "matchConstraints": {"resourceRules": [{
                "apiGroups": [GROUP], "apiVersions": [VERSION], "operations": ["CREATE", "UPDATE"],
                "resources": resources}]},
            "matchConditions": _SPEC_CHANGED,
            "variables": variables,
            "validations": validations,
        },
    }
    binding = {
        "apiVersion": ADMISSION,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {
            "policyName": name,
            # Every parameter object is evaluated (each decides in CEL whether it concerns the request);
            # none at all admits everything.
            "paramRef": {"selector": {}, "parameterNotFoundAction": "Allow"},
            "validationActions": ["Deny"],
        },
    }
    return [vap, binding]


def _installs() -> list[dict[str, Any]]:
    outside = ("!has(params.spec.domains.suffixes) || !has(object.spec.domains) ? [] : object.spec.domains.filter(d,"
               f" !params.spec.domains.suffixes.exists(s, {_HOST} == s || {_HOST}.endsWith('.' + s)))")
    ids = ("!has(params.spec.extensions.ids) || object.spec.extensionId in params.spec.extensions.ids")
    return _policy("qxo-extension-policy-installs", "ExtensionPolicy", ["extensioninstalls"],
                   [*_SELECTION, {"name": "outsideDomains", "expression": outside}], [
        _rule("ExtensionPolicy", "spec.extensions.ids", "spec.extensionId", ids, policy.IDS,
              id="object.spec.extensionId", ids="params.spec.extensions.ids.join(', ')"),
        _rule("ExtensionPolicy", "spec.extensions.thirdParty", "spec.termsAccepted",
              "params.spec.extensions.thirdParty || !object.spec.termsAccepted", policy.THIRD_PARTY),
        _rule("ExtensionPolicy", "spec.extensions.preview", "spec.previewOptIn",
              "params.spec.extensions.preview || !object.spec.previewOptIn", policy.PREVIEW),
        _rule("ExtensionPolicy", "spec.acceptance.terms", "spec.termsAccepted",
              "params.spec.acceptance.terms == 'Team' || !object.spec.termsAccepted", policy.TERMS),
        _rule("ExtensionPolicy", "spec.acceptance.previewOptIn", "spec.previewOptIn",
              "params.spec.acceptance.previewOptIn == 'Team' || !object.spec.previewOptIn", policy.PREVIEW_OPT_IN),
        _rule("ExtensionPolicy", "spec.domains.suffixes", "spec.domains", "size(variables.outsideDomains) == 0",
              policy.DOMAINS, domain="variables.outsideDomains[0]",
              suffixes="params.spec.domains.suffixes.join(', ')"),
    ], "ExtensionPolicy rules for ExtensionInstalls (docs/tenancy.md)")


def _accounts() -> list[dict[str, Any]]:
    ids = ("!has(object.spec.extensionId) || !has(params.spec.extensions.ids)"
           " || object.spec.extensionId in params.spec.extensions.ids")
    return _policy("qxo-extension-policy-accounts", "ExtensionPolicy", ["extensionaccounts"], _SELECTION, [
        _rule("ExtensionPolicy", "spec.extensions.ids", "spec.extensionId", ids, policy.IDS,
              id="object.spec.extensionId", ids="params.spec.extensions.ids.join(', ')"),
    ], "ExtensionPolicy rules for ExtensionAccounts that admission can check (docs/tenancy.md)")


def _grants() -> list[dict[str, Any]]:
    def owners(field: str, key: str) -> str:
        return f"has(object.spec.{field}) ? object.spec.{field}.filter(x, x.access == 'Owner').map(x, x.{key}) : []"

    return _policy("qxo-extension-policy-grants", "ExtensionPolicy", ["accountgrants"], [
        *_SELECTION,
        {"name": "ownerUsers", "expression": owners("users", "user")},
        {"name": "ownerGroups", "expression": owners("groups", "group")},
    ], [
        _rule("ExtensionPolicy", "spec.access.allUsers", "spec.allUsers",
              "params.spec.access.allUsers || !has(object.spec.allUsers)", policy.ALL_USERS),
        _rule("ExtensionPolicy", "spec.access.owner", "spec.users",
              "params.spec.access.owner || size(variables.ownerUsers) == 0", policy.OWNER,
              who="variables.ownerUsers[0]"),
        _rule("ExtensionPolicy", "spec.access.owner", "spec.groups",
              "params.spec.access.owner || size(variables.ownerGroups) == 0", policy.OWNER,
              who="variables.ownerGroups[0]"),
    ], "ExtensionPolicy rules for AccountGrants (docs/tenancy.md)")


def _cluster_brand_namespaces() -> list[dict[str, Any]]:
    other = ("!has(object.spec.brandRef) || object.spec.brandRef.kind != 'ClusterQualtricsBrand'"
             " || object.spec.brandRef.name != params.metadata.name || variables.selected")
    return _policy("qxo-cluster-brand-namespaces", "ClusterQualtricsBrand",
                   ["extensioninstalls", "extensionaccounts"], _SELECTION, [
        _rule("ClusterQualtricsBrand", "spec.namespaceSelector", "spec.brandRef", other, policy.NOT_SELECTED,
              namespace="request.namespace"),
    ], "Only namespaces a ClusterQualtricsBrand's spec.namespaceSelector selects may reference it (docs/tenancy.md)")


def documents() -> list[dict[str, Any]]:
    """Every ValidatingAdmissionPolicy and its binding, in the order they are written."""
    return [*_installs(), *_accounts(), *_grants(), *_cluster_brand_namespaces()]


HEADER = ("# Generated by `python -m qxo.api.admission_policy` from qxo.api.policy; edit the rules there, not this "
          "file.\n")
FILENAME = "admission-policies.yaml"


class _Dumper(yaml.SafeDumper):
    """Long expressions as literal blocks, so the CEL reads as written (no doubled quotes, no folding)."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if len(value) > 80 or "'" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def _dump(documents_: list[dict[str, Any]]) -> str:
    return yaml.dump_all(documents_, Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=False)


def render() -> str:
    return HEADER + _dump(documents())


def render_chart_template() -> str:
    """The same documents for the Helm chart, behind `admissionPolicies.enabled`."""
    docs = documents()
    for doc in docs:
        doc["metadata"]["labels"] = "LABELS"
    body = _dump(docs)
    if "{{" in body:
        raise ValueError("a CEL expression contains {{, which Helm would read as a template")
    body = body.replace("  labels: LABELS\n", '  labels:\n    {{- include "qxo.labels" . | nindent 4 }}\n')
    return HEADER + "{{- if .Values.admissionPolicies.enabled }}\n" + body + "{{- end }}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qxo.api.admission_policy", description=__doc__.splitlines()[0])
    parser.add_argument("manifests", type=Path, help="directory for admission-policies.yaml (manifests/policy)")
    parser.add_argument("--chart-templates", type=Path, help="the chart's templates/ directory, to write it there too")
    args = parser.parse_args(argv)
    args.manifests.mkdir(parents=True, exist_ok=True)
    (args.manifests / FILENAME).write_text(render())
    print(args.manifests / FILENAME)
    if args.chart_templates is not None:
        (args.chart_templates / FILENAME).write_text(render_chart_template())
        print(args.chart_templates / FILENAME)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
