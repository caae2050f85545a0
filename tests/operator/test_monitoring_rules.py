"""The alert rules and the dashboard ask only for series, labels and values the operator exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import promqlkit
import pytest
import yaml

from qxo.observability import labels
from qxo.observability.labels import CONDITION_STATUSES, RECONCILE_RESULTS, TOKEN_REFRESH_RESULTS
from qxo.observability.metrics import OperatorMetrics
from qxo.qualtrics.transport import BrandStats
from qxo.reconcile.conditions import Conditions, State, Verdict
from qxo.reconcile.registry import KINDS

KIND_NAMES = {kind.name for kind in KINDS}
for _name in KIND_NAMES:  # as the operator's handlers do for each kind of the table
    labels.allow_kind(_name)

CHART = Path(__file__).resolve().parents[2] / "charts" / "qxo"
RULES = yaml.safe_load((CHART / "files" / "prometheus-rules.yaml").read_text())
DASHBOARD = json.loads((CHART / "files" / "grafana-dashboard.json").read_text())
# Labels the scrape adds to every series (Prometheus' target labels), and `up`, which Prometheus
# itself writes for every target it scrapes.
TARGET_LABELS = {"job", "namespace", "pod", "instance"}
# The alerts issue 18 asks for, by what they watch.
EXPECTED_ALERTS = {
    "QxoBrandNotReady", "QxoBrandRequestsFailing",              # brand unreachable or authentication failing
    "QxoResourcesStalled", "QxoDriftCorrectedRepeatedly",
    "QxoCredentialRotationFailing", "QxoSalesforceRefreshTokenRevoked",  # rotation failing
    "QxoBrandRateLimiterSaturated", "QxoBrandThrottled",        # rate limiter saturated
    "QxoSalesforcePreflightFailing", "QxoOperatorDown",
}
# SalesforceLink's own conditions (qxo.reconcile.link); the rest come from every verdict.
KIND_SPECIFIC_CONDITIONS = {"Authenticated", "PreflightPassed"}


def alerts() -> list[dict]:
    return [rule for group in RULES["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    exprs = [target["expr"] for panel in DASHBOARD["panels"] for target in panel.get("targets", [])]
    # Grafana substitutes its variables before Prometheus sees the query.
    return [expr.replace("$__rate_interval", "5m").replace("$namespace", ".*") for expr in exprs]


def everything() -> list[tuple[str, str]]:
    return [(rule["alert"], rule["expr"]) for rule in alerts()] + [("dashboard", e) for e in dashboard_expressions()]


@pytest.fixture(scope="module")
def exported() -> dict[str, set[str]]:
    """Every series name the operator's registry exports, with its label names, after one call of each recorder."""
    metrics = OperatorMetrics(process_metrics=True)
    metrics.reconcile_finished("ExtensionInstall", "ready", 0.2)
    metrics.drift("ExtensionInstall", detected=1, corrected=1)
    metrics.rotation("ExtensionAccount")
    metrics.salesforce_token_refresh("ok")
    metrics.preflight_failure("ApiEnabled")
    metrics.resource_conditions("QualtricsBrand", "ns/acme", [{"type": "Ready", "status": "True"}])
    stats = {**vars(BrandStats()), "requests": {("GET", "list_users", 200): 1}}
    metrics.observe_brand_client("acme", lambda: stats)
    names: dict[str, set[str]] = {}
    for family in metrics.registry.collect():
        assert family.samples, f"{family.name} exported no sample after its recorder ran"
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    names["up"] = set()
    return {name: labels | TARGET_LABELS for name, labels in names.items()}


def allowed_values() -> dict[tuple[str, str], set[str]]:
    generic = {c.type for state in State for c in Conditions(Verdict(state, "r", "m")).as_list()}
    values = {("", "kind"): set(KIND_NAMES), ("", "status"): set(CONDITION_STATUSES),
              ("", "condition"): generic | KIND_SPECIFIC_CONDITIONS, ("", "access"): {"read", "write"},
              ("qxo_reconciles_total", "result"): set(RECONCILE_RESULTS),
              ("qxo_salesforce_token_refreshes_total", "result"): set(TOKEN_REFRESH_RESULTS)}
    return values


def test_the_rules_hold_the_alerts_the_issue_asks_for_each_documented():
    assert {rule["alert"] for rule in alerts()} == EXPECTED_ALERTS
    for rule in alerts():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0m")), rule["alert"]


def test_docs_explain_every_alert():
    text = (CHART.parents[1] / "docs" / "alerts.md").read_text()
    assert [name for name in sorted(EXPECTED_ALERTS) if f"`{name}`" not in text] == []


@pytest.mark.parametrize(("where", "expr"), everything(), ids=[f"{w}-{i}" for i, (w, _) in enumerate(everything())])
def test_every_expression_parses_and_selects_only_exported_series_and_labels(exported, where, expr):
    selectors = list(promqlkit.selectors(promqlkit.parse(expr)))
    assert selectors, f"{where}: selects nothing"
    values = allowed_values()
    for selector in selectors:
        assert selector.name in exported, f"{where}: {selector.name} is not a series the operator exports"
        for matcher in selector.matchers.matchers:
            assert matcher.name in exported[selector.name], \
                f"{where}: {selector.name} has no label {matcher.name!r} (it has {sorted(exported[selector.name])})"
            known = values.get((selector.name, matcher.name)) or values.get(("", matcher.name))
            if known is None or "$" in matcher.value or matcher.value == ".*":
                continue
            for value in matcher.value.split("|"):
                assert value in known, f"{where}: {matcher.name}={value!r} is never exported (known: {sorted(known)})"


def test_the_series_check_would_catch_a_misspelt_metric(exported):
    (selector,) = promqlkit.selectors(promqlkit.parse('sum(qxo_reconcile_total{kind="QualtricsBrand"})'))
    assert selector.name not in exported


def test_dashboard_is_grafana_json_with_a_datasource_and_namespace_variable():
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    assert "namespace" in variables
    ids = [panel["id"] for panel in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    for panel in DASHBOARD["panels"]:
        for target in panel.get("targets", []):
            assert 'namespace=~"$namespace"' in target["expr"], panel["title"]


def test_the_evaluator_follows_promql_on_a_known_exposition():
    target = promqlkit.Target()
    exposition = ('# TYPE qxo_reconciles counter\n'
                  'qxo_reconciles_total{kind="ExtensionInstall",result="ready"} %d\n'
                  'qxo_reconciles_total{kind="ExtensionInstall",result="refused"} %d\n'
                  'qxo_reconciles_total{kind="AccountGrant",result="ready"} %d\n')
    target.add(0.0, exposition % (10, 0, 4))
    target.add(60.0, exposition % (40, 6, 4))
    evaluate = promqlkit.Evaluator(target)
    by_kind = evaluate('sum by (kind) (increase(qxo_reconciles_total[5m]))')
    assert by_kind == {frozenset({("kind", "ExtensionInstall")}): 36.0, frozenset({("kind", "AccountGrant")}): 0.0}
    ratio = evaluate('sum by (kind) (rate(qxo_reconciles_total{result=~"retrying|refused"}[5m]))'
                     ' / sum by (kind) (rate(qxo_reconciles_total[5m])) > 0.1')
    assert ratio == {frozenset({("kind", "ExtensionInstall")}): pytest.approx(6 / 36)}
    assert evaluate('absent(up{job="qxo"} == 1)') == {}
    target.add(120.0, None)
    assert evaluate('absent(up{job="qxo"} == 1)') == {frozenset({("job", "qxo")}): 1.0}
    assert evaluate('sum(qxo_reconciles_total) and on () absent(nothing_total)') != {}
