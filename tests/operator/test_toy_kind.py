"""The layout's living proof: a kind added as its own module plus one line of the table converges against the
sandboxes like the shipped ones, with no change to the runtime, the handlers or the metrics.

The toy kind (toykind.py) is registered by run_toy_operator.py, which then runs `qxo operator` unchanged.
docs/architecture.md ("Adding a kind") walks through both files.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml
from toykind import UserCheck

from qxo.api.crdgen import build_crd

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
NS = "qxo-demo"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module} | \
        {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}


def test_the_toy_kind_is_its_own_module_and_one_line_of_the_table():
    qxo_imports = {m for m in imported_modules(HERE / "toykind.py") if m.startswith("qxo")}
    assert qxo_imports == {"qxo.api.common", "qxo.reconcile.protocol"}  # the model's bases, and the Protocol
    launcher = (HERE / "run_toy_operator.py").read_text()
    assert [line for line in launcher.splitlines() if "KINDS.register(" in line] == [
        'KINDS.register(Kind(UserCheck, UserCheckReconciler, refs=(Ref("QualtricsBrand", "brandRef", parent=True),)))']


def user_check(name: str, user: str) -> dict:
    return {"apiVersion": "qxo.dev/v1alpha1", "kind": "UserCheck", "metadata": {"name": name, "namespace": NS},
            "spec": {"brandRef": {"name": "acme"}, "user": user}}


def test_a_toy_kind_converges_against_the_sandboxes_and_its_brand_waits_for_it(world, examples):
    world.stop_operator()
    world.kubectl("apply", "-f", "-", input=yaml.safe_dump(build_crd(UserCheck)))
    world.program, world.plurals["UserCheck"] = (str(HERE / "run_toy_operator.py"),), UserCheck.PLURAL
    # The toy objects first: they wait (silently) for their brand, then converge once it is Ready.
    world.apply([user_check("ana", "ana.lima@acme.example"), user_check("admin", "admin@acme.example"),
                 user_check("nobody", "nobody@acme.example")])
    world.start_operator()
    world.apply([d for d in examples if d["kind"] in ("Namespace", "Secret", "QualtricsBrand")])

    world.wait_condition("UserCheck", "ana")
    world.wait_condition("UserCheck", "admin")
    ana, admin = world.get("UserCheck", "ana")["status"], world.get("UserCheck", "admin")["status"]
    assert ana["userId"].startswith("UR_") and ana["brandAdministrator"] is False
    assert admin["brandAdministrator"] is True
    refused = world.wait_condition("UserCheck", "nobody", status="False", reason="UnknownUser")
    assert refused["message"] == "spec.user: the brand has no user 'nobody@acme.example'"
    world.wait_condition("UserCheck", "nobody", status="True", type_="Stalled")

    # The table says the toy uses its brand, so the brand waits for it before it lets its connection go.
    world.delete("QualtricsBrand", "acme")
    waiting = world.wait_condition("QualtricsBrand", "acme", status="False", reason="WaitingForDependents")
    assert "UserCheck/qxo-demo/ana" in waiting["message"]
    for name in ("ana", "admin", "nobody"):
        world.delete("UserCheck", name)
    world.wait_gone("QualtricsBrand", "acme")
    assert world.writes() == []
