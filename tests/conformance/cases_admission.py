"""Admission of qxo's kinds: every malformed fixture (tests/fixtures/malformed) and every example document
created on both servers. Schema-layer fixtures must be refused alike, with the same causes (field, reason
and message: the message is what `kubectl apply` shows the user); semantic-layer fixtures and the examples
are admitted by the schema, and the stored objects (defaults applied, unknown fields pruned) must agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from conformancekit import Call, Case

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ROOT / "tests" / "fixtures" / "malformed"
PLURALS = {"QualtricsBrand": "qualtricsbrands", "ExtensionInstall": "extensioninstalls",
           "ExtensionAccount": "extensionaccounts", "AccountGrant": "accountgrants",
           "SalesforceLink": "salesforcelinks", "Secret": "secrets"}


def collection(document: dict[str, Any]) -> str:
    plural = PLURALS[document["kind"]]
    if document["apiVersion"] == "v1":
        return f"/api/v1/namespaces/{{ns}}/{plural}"
    return f"/apis/{document['apiVersion']}/namespaces/{{ns}}/{plural}"


def in_case_namespace(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "metadata": {**(document.get("metadata") or {}), "namespace": "{ns}"}}


def creates(documents: list[dict[str, Any]]) -> tuple[Call, ...]:
    return tuple(Call("POST", collection(d), in_case_namespace(d), message=True) for d in documents)


def fixture_case(path: Path) -> Case:
    field, layer = (line.split(": ", 1)[1] for line in path.read_text().splitlines()[:2])
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    verdict = "refused naming " + field if layer == "schema" else "admitted by the schema (qxo validate refuses)"
    return Case(f"fixture {path.stem}: {verdict}", creates(documents))


def example_cases() -> list[Case]:
    cases = []
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and document["kind"] != "Namespace":
                name = f"example {path.stem} {document['kind']} {document['metadata']['name']}: admitted"
                cases.append(Case(name, creates([document])))
    return cases


CASES = [*(fixture_case(path) for path in sorted(MALFORMED.glob("*.yaml"))), *example_cases()]
