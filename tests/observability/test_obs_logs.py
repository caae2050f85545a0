"""Structured logs: one JSON object per line with the bound object, kopf's records mapped, a
readable format on terminals."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import kopf
import pytest
from kopf._core.actions.loggers import LocalObjectLogger, ObjectLogger

from qxo.observability import logs

log = logging.getLogger("qxo.reconcile.test")


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True

BODY = {
    "apiVersion": "qxo.dev/v1alpha1",
    "kind": "ExtensionInstall",
    "metadata": {"name": "slack", "namespace": "team-a", "uid": "6f1c", "generation": 4},
}


def test_every_line_is_one_json_object_with_the_core_fields(json_logs):
    log.info("first")
    log.warning("second\nwith a newline")
    logging.getLogger("aiohttp.client").error("third %d", 3)

    records = json_logs.records()
    assert len(json_logs.lines()) == 3
    assert [r["message"] for r in records] == ["first", "second\nwith a newline", "third 3"]
    assert [r["level"] for r in records] == ["INFO", "WARNING", "ERROR"]
    assert records[2]["logger"] == "aiohttp.client"
    assert records[0]["time"].endswith("Z") and "T" in records[0]["time"]


def test_bound_context_is_on_every_record_of_the_block(json_logs):
    with logs.bind(kind="ExtensionInstall", namespace="team-a", name="slack", generation=4, request_id="rq-1"):
        log.info("inside")
        with logs.bind(request_id="rq-2", generation=None):
            log.info("nested")
    log.info("after")

    inside, nested, after = json_logs.records()
    assert {k: inside[k] for k in ("kind", "namespace", "name", "generation", "request_id")} == {
        "kind": "ExtensionInstall", "namespace": "team-a", "name": "slack", "generation": 4, "request_id": "rq-1"}
    assert nested["request_id"] == "rq-2" and nested["generation"] == 4  # None keeps the outer value
    assert not {"kind", "namespace", "name", "generation", "request_id"} & after.keys()
    assert logs.current_context() == {}


async def test_concurrent_tasks_keep_their_own_context(json_logs):
    async def reconcile(name: str) -> None:
        with logs.bind(kind="AccountGrant", namespace="ns", name=name):
            for step in range(3):
                log.info("step %d", step)
                await asyncio.sleep(0)

    await asyncio.gather(reconcile("one"), reconcile("two"))

    records = [r for r in json_logs.records() if r["logger"] == log.name]  # not asyncio's own debug lines
    assert len(records) == 6
    for name in ("one", "two"):
        mine = [r for r in records if r["name"] == name]
        assert [r["message"] for r in mine] == ["step 0", "step 1", "step 2"]


@pytest.mark.parametrize("logger_class", [ObjectLogger, LocalObjectLogger])
def test_kopf_object_loggers_become_kind_namespace_name_fields(json_logs, logger_class):
    kopf_logger = logger_class(body=kopf.Body(BODY), settings=kopf.OperatorSettings())
    kopf_logger.info("Handler 'reconcile' succeeded.")

    (record,) = json_logs.records()
    assert (record["kind"], record["namespace"], record["name"]) == ("ExtensionInstall", "team-a", "slack")
    assert record["logger"] == "kopf.objects"
    assert not {"k8s_ref", "k8s_skip", "settings"} & record.keys()


def test_kopf_reference_wins_over_the_bound_context_but_keeps_the_rest(json_logs):
    kopf_logger = ObjectLogger(body=kopf.Body(BODY), settings=kopf.OperatorSettings())
    with logs.bind(kind="QualtricsBrand", namespace="other", name="acme", generation=9, request_id="rq"):
        kopf_logger.info("about the install")

    (record,) = json_logs.records()
    assert (record["kind"], record["namespace"], record["name"]) == ("ExtensionInstall", "team-a", "slack")
    assert (record["generation"], record["request_id"]) == (9, "rq")


def test_exceptions_are_rendered_as_a_string_field(json_logs):
    try:
        raise ValueError("spec.domains[0]: not https")
    except ValueError:
        log.exception("reconcile failed")

    (record,) = json_logs.records()
    assert record["message"] == "reconcile failed"
    assert isinstance(record["exc_info"], str)
    assert "Traceback" in record["exc_info"] and "ValueError: spec.domains[0]: not https" in record["exc_info"]


def test_structured_extras_are_fields_and_odd_values_are_stringified(json_logs):
    log.info("observed", extra={"writes": 2, "domains": ["https://a.example"], "when": object()})

    (record,) = json_logs.records()
    assert record["writes"] == 2
    assert record["domains"] == ["https://a.example"]
    assert record["when"].startswith("<object object")


def test_a_message_whose_arguments_do_not_fit_is_still_one_json_line(restore_root_logger):
    stream = io.StringIO()
    handler = logs.configure(stream=stream)
    # Straight to our handler: pytest's own capture handler would raise on this record first.
    handler.handle(log.makeRecord(log.name, logging.INFO, __file__, 1, "two placeholders %s %s", ("one",), None))

    (record,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert record["message"].startswith("two placeholders %s %s")


def test_terminals_get_the_human_format_with_the_same_fields(restore_root_logger):
    stream = TerminalStream()
    logs.configure(stream=stream)
    with logs.bind(kind="ExtensionInstall", namespace="team-a", name="slack", generation=4, request_id="rq-1"):
        log.info("installed", extra={"writes": 1})

    line = stream.getvalue().strip()
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
    assert "INFO" in line and "qxo.reconcile.test" in line
    assert "[ExtensionInstall team-a/slack gen=4 req=rq-1] installed writes=1" in line


def test_human_format_shows_the_traceback_below_the_line(restore_root_logger):
    stream = TerminalStream()
    logs.configure(stream=stream)
    try:
        raise KeyError("boom")
    except KeyError:
        log.error("failed", exc_info=True)

    first, *rest = stream.getvalue().splitlines()
    assert first.endswith("failed")
    assert rest[0].startswith("Traceback") and rest[-1] == "KeyError: 'boom'"


@pytest.mark.parametrize(("json_output", "stream", "expect_json"), [
    (None, io.StringIO(), True),
    (None, TerminalStream(), False),
    (True, TerminalStream(), True),
    (False, io.StringIO(), False),
])
def test_format_choice(restore_root_logger, json_output, stream, expect_json):
    logs.configure(json_output=json_output, stream=stream)
    log.warning("hello")

    line = stream.getvalue().strip()
    assert line.startswith("{") is expect_json
    if expect_json:
        assert json.loads(line)["message"] == "hello"


def test_configuring_again_replaces_the_handler_instead_of_doubling_lines(restore_root_logger):
    first, second = io.StringIO(), io.StringIO()
    logs.configure(stream=first)
    logs.configure(stream=second, level="warning")
    log.info("dropped by level")
    log.warning("kept")

    assert first.getvalue() == ""
    assert [json.loads(line)["message"] for line in second.getvalue().splitlines()] == ["kept"]


def test_an_unknown_level_names_the_field(restore_root_logger):
    with pytest.raises(ValueError, match="level: unknown log level 'LOUD'"):
        logs.configure(level="LOUD", stream=io.StringIO())
