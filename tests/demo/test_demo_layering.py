"""qxo.demo drives the operator from outside: no operator layer may import it, and it needs no kopf."""

from __future__ import annotations

import grimp

OPERATOR_LAYERS = ("qxo.handlers", "qxo.reconcile", "qxo.qualtrics", "qxo.salesforce", "qxo.kube", "qxo.api",
                   "qxo.admission", "qxo.observability")


def test_no_operator_layer_imports_the_demo():
    graph = grimp.build_graph("qxo")
    assert "qxo.demo.run" in graph.modules, "the graph must see the demo, or the check proves nothing"
    offenders = [
        (importer, imported)
        for layer in OPERATOR_LAYERS
        for importer in graph.find_descendants(layer) | {layer}
        for imported in graph.find_modules_directly_imported_by(importer)
        if imported == "qxo.demo" or imported.startswith("qxo.demo.")
    ]
    assert offenders == []


def test_the_demo_imports_no_kopf():
    graph = grimp.build_graph("qxo", include_external_packages=True)
    assert graph.find_shortest_chains(importer="qxo.demo", imported="kopf") == set()
