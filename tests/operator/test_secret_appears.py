"""An account whose credentials Secret does not exist yet says so, and goes on when the Secret appears:
the Secret watch wakes the objects that found it missing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_an_account_waiting_for_its_secret_goes_on_when_it_is_created(world, examples):
    secret = next(d for d in examples if d["kind"] == "Secret" and d["metadata"]["name"] == "ticketing-credentials")
    world.apply([d for d in examples if d is not secret])
    missing = world.wait_condition("ExtensionAccount", "ticketing", status="False")
    assert "ticketing-credentials" in missing["message"]
    assert not any(w["route"].endswith("/accounts") and w["method"] == "POST"
                   and (w.get("request") or {}).get("name") == "Acme ticketing API" for w in world.writes())

    world.apply([secret])
    world.wait_condition("ExtensionAccount", "ticketing")
    world.wait_condition("AccountGrant", "ticketing")
