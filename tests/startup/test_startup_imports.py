"""What start-up must not pay for: building the `qxo` parser and loading the operator's handlers.

`qxo operator` is timed from process start (benchmarks/converge.py); every subcommand's module is
imported to build the parser, so each must leave its heavy imports to the function that runs it,
and the operator must not load Salesforce's client library before a SalesforceLink needs it.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

# Heavy to import and needed only by one command's run (or by one sandbox), never to build the parser.
NOT_FOR_THE_PARSER = (
    "qxo.sandbox.brand.server",
    "qxo.sandbox.kube.server",
    "qxo.sandbox.kube.admission",
    "qxo.sandbox.salesforce.app",
    "qxo.admission",
    "qxo.demo",
    "qxo.gitops",
    "qxo.handlers",
    "qxo.reconcile",
    "qxo.salesforce.connection",
    "simple_salesforce",
    "zeep",
    "trustme",
    "aiohttp",
    "kopf",
    "kubernetes",
    "pydantic",
    "celpy",
    "jsonschema",
)

# The operator loads these handlers at start; none of them may drag in a sandbox, the CLI or
# Salesforce's client library (loaded when a SalesforceLink first calls its org).
NOT_FOR_THE_OPERATOR = (
    "qxo.sandbox",
    "qxo.cli",
    "qxo.demo",
    "qxo.gitops",
    "simple_salesforce",
    "zeep",
    "trustme",
)


def within(modules: Iterable[str], prefixes: Iterable[str]) -> list[str]:
    prefixes = tuple(prefixes)
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_building_the_parser_imports_no_command_implementation(modules_loaded_by):
    loaded = modules_loaded_by("from qxo.cli import build_parser\nbuild_parser()")
    assert within(loaded, NOT_FOR_THE_PARSER) == []


def test_operator_help_imports_no_command_implementation(modules_loaded_by):
    loaded = modules_loaded_by(
        "import contextlib, io, sys\n"
        "from qxo.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['operator', '--help'])"
    )
    assert "qxo.cli.operator" in loaded
    assert within(loaded, NOT_FOR_THE_PARSER) == []


def test_operator_handlers_leave_salesforce_and_sandboxes_unloaded(modules_loaded_by):
    loaded = modules_loaded_by("import qxo.handlers.resources, qxo.handlers.lifecycle")
    assert "qxo.reconcile.link" in loaded  # the SalesforceLink reconciler is there, its library is not
    assert within(loaded, NOT_FOR_THE_OPERATOR) == []


def test_salesforce_package_is_importable_without_its_client_library(modules_loaded_by):
    loaded = modules_loaded_by("import qxo.salesforce\nfrom qxo.salesforce import SalesforceConnection, run_preflight")
    assert within(loaded, ("simple_salesforce", "zeep")) == []



def test_lazily_exported_names_are_the_defining_modules_objects():
    import importlib

    import qxo.salesforce
    import qxo.sandbox.brand
    import qxo.sandbox.kube
    import qxo.sandbox.salesforce

    assert set(qxo.salesforce._MODULE_OF) == set(qxo.salesforce.__all__)
    for name, module in qxo.salesforce._MODULE_OF.items():
        assert getattr(qxo.salesforce, name) is getattr(importlib.import_module(f"qxo.salesforce.{module}"), name)
    assert set(qxo.salesforce.__all__) <= set(dir(qxo.salesforce))
    assert qxo.sandbox.brand.BrandSandbox.__module__ == "qxo.sandbox.brand.server"
    assert qxo.sandbox.kube.KubeSandbox.__module__ == qxo.sandbox.kube.Handle.__module__ == "qxo.sandbox.kube.server"
    assert qxo.sandbox.salesforce.SalesforceSandbox.__module__ == "qxo.sandbox.salesforce.server"
    for package in (qxo.salesforce, qxo.sandbox.brand, qxo.sandbox.kube, qxo.sandbox.salesforce):
        with pytest.raises(AttributeError, match="NoSuchName"):
            package.NoSuchName  # noqa: B018
