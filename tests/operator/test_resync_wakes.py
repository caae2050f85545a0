"""A brand's new observation wakes only the Ready objects whose slice of it changed: a resync of an
unchanged brand converges the brand alone, and drift made in the UI converges the object it concerns."""

from __future__ import annotations

import time

import pytest
import test_lifecycle as lifecycle
import test_metrics as metrics

pytestmark = pytest.mark.slow

DEPENDENTS = ("ExtensionInstall", "ExtensionAccount", "AccountGrant")


def converges(port: int) -> dict[str, float]:
    """Finished converges per kind (every result) from the operator's metrics."""
    by_kind: dict[str, float] = {}
    for (name, labels), value in metrics.scrape(port).items():
        if name == "qxo_reconciles_total":
            kind = dict(labels)["kind"]
            by_kind[kind] = by_kind.get(kind, 0) + value
    return by_kind


def idle(world, port: int, quiet: float = 2.0) -> dict[str, float]:
    """The converge counts once neither they nor the brand's audit log moved for `quiet` seconds."""
    last, since = None, time.monotonic()
    deadline = since + 60
    while time.monotonic() < deadline:
        now = (converges(port), len(world.audit()))
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now[0]
        time.sleep(0.2)
    raise AssertionError("the operator did not go idle")


def observed(world, since: int) -> bool:
    return any(e["method"] == "GET" and e["route"].endswith("/extensions") for e in world.audit()[since:])


def test_an_observation_wakes_only_what_changed_in_it(world, examples):
    port = metrics.free_port()
    world.kill_operator()
    world.start_operator("--metrics-port", str(port))
    lifecycle.converge(world, examples)
    before = idle(world, port)

    mark = len(world.audit())
    world.refresh_brand()
    world.wait_for(lambda: observed(world, mark), "a new observation of the brand")
    after = idle(world, port)
    assert {kind: after.get(kind) for kind in DEPENDENTS} == {kind: before.get(kind) for kind in DEPENDENTS}
    assert after["QualtricsBrand"] > before["QualtricsBrand"]

    declared = sorted(lifecycle.find(examples, "ExtensionInstall", "webservice")["spec"]["domains"])
    world.brand_call("PUT", "/brands/{brandId}/extensions/webservice/domains",
                     {"domains": [*declared, "https://evil.example"]})
    world.refresh_brand()
    world.wait_for(lambda: sorted(world.brand_call("GET", "/brands/{brandId}/extensions/webservice/domains")
                                  ["domains"]) == declared, "the domain added in the UI to be removed")
    drifted = idle(world, port)
    assert drifted["ExtensionInstall"] > after["ExtensionInstall"]  # the install it concerns
    assert {kind: drifted.get(kind) for kind in ("ExtensionAccount", "AccountGrant")} \
        == {kind: after.get(kind) for kind in ("ExtensionAccount", "AccountGrant")}
