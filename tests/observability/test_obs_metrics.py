"""Every operator metric, scraped from the real /metrics endpoint after the call that records it."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

import pytest

from qxo.observability import metrics
from qxo.observability.conditions import ConditionsCollector
from qxo.observability.metrics import OperatorMetrics

KINDS = ("QualtricsBrand", "ExtensionInstall", "ExtensionAccount", "AccountGrant", "SalesforceLink")
for _kind in KINDS:  # as the operator's kinds table does when the handlers register
    metrics.allow_kind(_kind)
RESULTS = ("ready", "waiting", "deferred", "retrying", "refused", "paused", "drifted")


def test_reconciles_are_counted_and_timed_by_kind_and_result(operator_metrics, scraper):
    for kind in KINDS:
        for result in RESULTS:
            operator_metrics.reconcile_finished(kind, result, 0.3)
            operator_metrics.reconcile_finished(kind, result, 7.0)

    samples = scraper.samples()  # one scrape: every kind and result must be in it
    for kind in KINDS:
        for result in RESULTS:
            def value(name, labels=(("kind", kind), ("result", result)), **more):
                return samples.get((name, frozenset({*labels, *more.items()})))

            assert value("qxo_reconciles_total") == 2
            assert value("qxo_reconcile_duration_seconds_count") == 2
            assert value("qxo_reconcile_duration_seconds_sum") == pytest.approx(7.3)
            assert value("qxo_reconcile_duration_seconds_bucket", le="0.5") == 1
            assert value("qxo_reconcile_duration_seconds_bucket", le="10.0") == 2


def test_drift_rotation_token_refresh_and_preflight_counters(operator_metrics, scraper):
    operator_metrics.drift("ExtensionInstall", detected=3, corrected=2)
    operator_metrics.drift("ExtensionInstall", detected=1, corrected=1)
    operator_metrics.rotation("ExtensionAccount")
    for result in ("ok", "ok", "revoked", "failed"):
        operator_metrics.salesforce_token_refresh(result)
    operator_metrics.preflight_failure("ApiEnabled")
    operator_metrics.preflight_failure("LoginIpRanges")
    operator_metrics.preflight_failure("ApiEnabled")

    assert scraper.value("qxo_drift_detected_total", kind="ExtensionInstall") == 4
    assert scraper.value("qxo_drift_corrected_total", kind="ExtensionInstall") == 3
    assert scraper.value("qxo_credential_rotations_total", kind="ExtensionAccount") == 1
    assert scraper.value("qxo_salesforce_token_refreshes_total", result="ok") == 2
    assert scraper.value("qxo_salesforce_token_refreshes_total", result="revoked") == 1
    assert scraper.value("qxo_salesforce_token_refreshes_total", result="failed") == 1
    assert scraper.value("qxo_salesforce_preflight_failures_total", check="ApiEnabled") == 2
    assert scraper.value("qxo_salesforce_preflight_failures_total", check="LoginIpRanges") == 1


def test_resources_by_condition_follow_each_objects_latest_conditions(operator_metrics, scraper):
    ready = [{"type": "Ready", "status": "True"}, {"type": "Synced", "status": "True"}]
    waiting = [{"type": "Ready", "status": "False"}, {"type": "Reconciling", "status": "True"}]
    operator_metrics.resource_conditions("ExtensionInstall", "team/slack", ready)
    operator_metrics.resource_conditions("ExtensionInstall", "team/jira", waiting)
    operator_metrics.resource_conditions("AccountGrant", "team/analysts", ready)

    assert scraper.value("qxo_resources", kind="ExtensionInstall", condition="Ready", status="True") == 1
    assert scraper.value("qxo_resources", kind="ExtensionInstall", condition="Ready", status="False") == 1
    assert scraper.value("qxo_resources", kind="ExtensionInstall", condition="Reconciling", status="True") == 1
    assert scraper.value("qxo_resources", kind="AccountGrant", condition="Synced", status="True") == 1

    operator_metrics.resource_conditions("ExtensionInstall", "team/jira", ready)
    operator_metrics.resource_deleted("AccountGrant", "team/analysts")

    assert scraper.value("qxo_resources", kind="ExtensionInstall", condition="Ready", status="True") == 2
    # States nobody is in any more read 0 instead of disappearing.
    assert scraper.value("qxo_resources", kind="ExtensionInstall", condition="Ready", status="False") == 0
    assert scraper.value("qxo_resources", kind="AccountGrant", condition="Ready", status="True") == 0


def test_objects_in_the_same_conditions_share_one_record_of_them():
    """Kept per object for every scrape: at 10,000 objects a tuple of pairs each would cost ~3 MB."""
    collector = ConditionsCollector()
    conditions = [{"type": "Ready", "status": "True"}, {"type": "Synced", "status": "True"}]
    collector.record("AccountGrant", "team/a", [dict(c) for c in conditions])
    collector.record("AccountGrant", "team/b", [dict(c) for c in reversed(conditions)])
    assert collector._states[("AccountGrant", "team/a")] is collector._states[("AccountGrant", "team/b")]


def test_object_names_never_become_label_values(operator_metrics, scraper):
    operator_metrics.resource_conditions("ExtensionAccount", "team/servicenow-prod-account",
                                         [{"type": "Ready", "status": "True"}])
    operator_metrics.reconcile_finished("ExtensionAccount", "ready", 0.1)

    text = scraper.text()
    assert "servicenow-prod-account" not in text
    assert "team" not in text.replace("qxo_", "")


def test_unknown_kind_and_result_are_counted_as_other_with_one_warning(operator_metrics, scraper, caplog):
    with caplog.at_level(logging.WARNING, logger="qxo.observability"):
        operator_metrics.reconcile_finished("extensioninstalls", "ready", 0.1)
        operator_metrics.reconcile_finished("extensioninstalls", "exploded", 0.1)
        operator_metrics.salesforce_token_refresh("maybe")

    assert scraper.value("qxo_reconciles_total", kind="other", result="ready") == 1
    assert scraper.value("qxo_reconciles_total", kind="other", result="other") == 1
    assert scraper.value("qxo_salesforce_token_refreshes_total", result="other") == 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "qxo.observability"]
    assert len(warnings) == 3  # one per distinct odd value, not one per call
    assert any("kind='extensioninstalls'" in w for w in warnings)


def test_open_labels_stop_growing_at_their_limit(operator_metrics, scraper):
    for i in range(40):
        operator_metrics.preflight_failure(f"Check{i}")

    checks = {dict(labels)["check"] for (name, labels) in scraper.samples()
              if name == "qxo_salesforce_preflight_failures_total"}
    assert len(checks) == 31  # 30 distinct names, then everything else folded into "other"
    assert scraper.value("qxo_salesforce_preflight_failures_total", check="other") == 10


def test_negative_inputs_never_decrease_counters(operator_metrics, scraper):
    operator_metrics.drift("ExtensionInstall", detected=-1, corrected=-5)
    operator_metrics.reconcile_finished("ExtensionInstall", "ready", -2.0)

    assert scraper.value("qxo_drift_detected_total", kind="ExtensionInstall") == 0
    assert scraper.value("qxo_reconcile_duration_seconds_sum", kind="ExtensionInstall", result="ready") == 0


def test_module_functions_record_into_the_process_wide_registry():
    before = metrics.default().registry.get_sample_value(
        "qxo_reconciles_total", {"kind": "SalesforceLink", "result": "refused"}) or 0
    metrics.reconcile_finished("SalesforceLink", "refused", 0.2)
    metrics.drift("AccountGrant", 1, 0)
    metrics.rotation("QualtricsBrand")
    metrics.salesforce_token_refresh("ok")
    metrics.preflight_failure("SessionIpLocking")
    metrics.resource_conditions("SalesforceLink", "ns/link", [{"type": "PreflightPassed", "status": "False"}])

    server = metrics.start_server(0, addr="127.0.0.1")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        server()
    registry = metrics.default().registry
    assert registry.get_sample_value("qxo_reconciles_total", {"kind": "SalesforceLink", "result": "refused"}) \
        == before + 1
    for name in ("qxo_reconciles_total", "qxo_drift_detected_total", "qxo_credential_rotations_total",
                 "qxo_salesforce_token_refreshes_total", "qxo_salesforce_preflight_failures_total",
                 'qxo_resources{condition="PreflightPassed"', "process_cpu_seconds_total"):
        assert name in text


def test_a_stopped_server_no_longer_answers():
    server = OperatorMetrics().start_server(0, addr="127.0.0.1")
    url = f"http://127.0.0.1:{server.port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=10)


def test_scrapes_leave_no_access_lines_on_stderr(scraper, capfd):
    scraper.text()
    scraper.text()

    assert "GET /metrics" not in capfd.readouterr().err
