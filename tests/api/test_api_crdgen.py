"""The CRDs in crds/ are generated from the models, structural, and teach the API through descriptions."""

from __future__ import annotations

import filecmp
import re
from collections.abc import Iterator
from typing import Any

import celpy
import pytest
import re2
import yaml
from api_support import CRDS

from qxo.admission import Admitter
from qxo.api import KINDS, VERSION
from qxo.api.crdgen import build_crd, crd_filename, main, structural_schema
from qxo.api.install import Enablement

FORBIDDEN = {"$ref", "anyOf", "oneOf", "allOf", "not", "title", "$defs"}


def nodes(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, schema
    for name, child in schema.get("properties", {}).items():
        yield from nodes(child, f"{path}.{name}" if path else name)
    if "items" in schema:
        yield from nodes(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from nodes(schema["additionalProperties"], f"{path}{{}}")


def root_schema(kind: str) -> dict[str, Any]:
    return build_crd(KINDS[kind])["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def test_crds_directory_is_regenerated_from_the_models(tmp_path):
    assert main([str(tmp_path)]) == 0
    for kind in KINDS.values():
        name = crd_filename(kind)
        assert (CRDS / name).exists(), f"crds/{name} missing: run `make crds`"
        assert filecmp.cmp(tmp_path / name, CRDS / name, shallow=False), f"crds/{name} is stale: run `make crds`"


def test_committed_crd_files_parse_to_the_generated_crds():
    for kind in KINDS.values():
        assert yaml.safe_load((CRDS / crd_filename(kind)).read_text()) == build_crd(kind)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_schema_is_structural_with_a_type_everywhere_and_no_unions(kind):
    for path, node in nodes(root_schema(kind)):
        assert "type" in node, path
        assert not FORBIDDEN & set(node), (path, FORBIDDEN & set(node))
        if "additionalProperties" in node:  # a map (label selectors' matchLabels): typed values, bounded size
            assert isinstance(node["additionalProperties"], dict) and "properties" not in node, path
            assert "maxProperties" in node, path
        elif node["type"] == "object" and path:
            assert node.get("properties") or path == "metadata", path


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_field_has_a_description_for_kubectl_explain(kind):
    for path, node in nodes(root_schema(kind)):
        if not path.endswith(("[]", "{}")) and path != "metadata":
            assert len(node.get("description", "")) > 8, path


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_list_is_bounded_and_map_keys_are_required(kind):
    for path, node in nodes(root_schema(kind)):
        if node["type"] == "array":
            assert "maxItems" in node, path
        if node.get("x-kubernetes-list-type") == "map":
            assert set(node["x-kubernetes-list-map-keys"]) <= set(node["items"]["required"]), path


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_pattern_compiles_in_re2_like_the_api_server(kind):
    for path, node in nodes(root_schema(kind)):
        if "pattern" in node:
            re2.compile(node["pattern"])
            re.compile(node["pattern"])
            assert "(?" not in node["pattern"], f"{path}: lookarounds are not RE2"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_cel_rule_compiles_and_has_a_message(kind):
    environment = celpy.Environment()
    for path, node in nodes(root_schema(kind)):
        for rule in node.get("x-kubernetes-validations", []):
            environment.compile(rule["rule"])
            assert rule["message"], path


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_admission_compiles_every_rule_and_pattern_of_the_crd(kind):
    admitter = Admitter.for_crd(build_crd(KINDS[kind]), VERSION)
    assert admitter.compile_errors == []


def test_every_spec_has_the_policies_and_every_status_the_conditions():
    for kind in set(KINDS) - {"ExtensionPolicy"}:
        schema = root_schema(kind)
        spec, status = schema["properties"]["spec"], schema["properties"]["status"]
        assert spec["properties"]["deletionPolicy"]["enum"] == ["Delete", "Orphan"]
        assert spec["properties"]["deletionPolicy"]["default"] == "Delete"
        assert spec["properties"]["managementPolicy"]["enum"] == ["Manage", "ObserveOnly"]
        assert spec["properties"]["managementPolicy"]["default"] == "Manage"
        conditions = status["properties"]["conditions"]
        assert conditions["x-kubernetes-list-type"] == "map"
        assert conditions["x-kubernetes-list-map-keys"] == ["type"]
        assert "observedGeneration" in status["properties"]
        assert schema["required"] == ["spec"]


@pytest.mark.parametrize(("kind", "key_column"), [
    ("QualtricsBrand", ("BRAND", ".spec.brandId")),
    ("ExtensionInstall", ("EXTENSION", ".spec.extensionId")),
    ("ExtensionAccount", ("ACCOUNT", ".spec.displayName")),
    ("AccountGrant", ("ACCOUNT", ".spec.accountRef.name")),
    ("SalesforceLink", ("OWNER", ".spec.owner")),
])
def test_printer_columns_names_and_status_subresource(kind, key_column):
    crd = build_crd(KINDS[kind])
    version = crd["spec"]["versions"][0]
    columns = [(column["name"], column["jsonPath"]) for column in version["additionalPrinterColumns"]]
    assert columns[0] == ("READY", '.status.conditions[?(@.type=="Ready")].status')
    assert columns[1] == ("SYNCED", '.status.conditions[?(@.type=="Synced")].status')
    assert columns[2] == key_column
    assert columns[-1] == ("AGE", ".metadata.creationTimestamp")
    assert version["subresources"] == {"status": {}}
    assert crd["spec"]["names"]["categories"] == ["qualtrics"]
    assert crd["spec"]["scope"] == "Namespaced"
    assert crd["metadata"]["name"] == f"{KINDS[kind].PLURAL}.qxo.dev"


def test_short_names_are_the_shared_ones():
    assert {kind: tuple(build_crd(model)["spec"]["names"]["shortNames"]) for kind, model in KINDS.items()} == {
        "QualtricsBrand": ("qbrand",), "ExtensionInstall": ("qxinstall",), "ExtensionAccount": ("qxaccount",),
        "AccountGrant": ("qxgrant",), "SalesforceLink": ("sflink",), "ClusterQualtricsBrand": ("cqbrand",),
        "ExtensionPolicy": ("qxpolicy",),
    }


def test_the_platform_kinds_are_cluster_scoped_and_the_rest_namespaced():
    scopes = {kind: build_crd(model)["spec"]["scope"] for kind, model in KINDS.items()}
    cluster = {kind for kind, scope in scopes.items() if scope == "Cluster"}
    assert cluster == {"ClusterQualtricsBrand", "ExtensionPolicy"}
    assert set(scopes.values()) == {"Cluster", "Namespaced"}


def test_a_policy_is_a_declaration_without_status_conditions_or_reconcile_policies():
    crd = build_crd(KINDS["ExtensionPolicy"])
    version = crd["spec"]["versions"][0]
    schema = version["schema"]["openAPIV3Schema"]
    assert "status" not in schema["properties"] and "subresources" not in version
    assert [column["name"] for column in version["additionalPrinterColumns"]] == ["AGE"]
    assert not {"deletionPolicy", "managementPolicy"} & set(schema["properties"]["spec"]["properties"])
    assert "qxo.dev/paused" not in schema["description"]


def test_root_metadata_is_only_typed_as_the_api_server_demands():
    for kind in KINDS:
        assert root_schema(kind)["properties"]["metadata"] == {"type": "object"}


def test_optional_fields_are_simply_not_required():
    schema = structural_schema(Enablement)
    assert "required" not in schema
    spec = root_schema("ExtensionInstall")["properties"]["spec"]
    assert "domains" not in spec["required"]
    assert spec["properties"]["domains"]["type"] == "array"


SECRETISH = re.compile(r"(token|password|secret|apikey|clientsecret|credential)$", re.IGNORECASE)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_spec_field_can_carry_a_secret_value(kind):
    spec = root_schema(kind)["properties"]["spec"]
    for path, node in nodes(spec, "spec"):
        leaf = path.rsplit(".", 1)[-1]
        if SECRETISH.search(leaf):
            assert node["type"] == "object", f"{path} could hold a secret value"
