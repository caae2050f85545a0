"""The sandbox's audit log is bounded: a ring of the latest entries, paged by `since`, with totals of every call."""

from __future__ import annotations

import sqlite3

from brandkit import ADMIN, audit, raw

from qxo.sandbox.brand import BrandSandbox


async def test_the_log_keeps_its_latest_entries_and_counts_every_call(tmp_path):
    sandbox = BrandSandbox(str(tmp_path / "brand.db"), audit_entries=5)
    await sandbox.start()
    try:
        for _ in range(12):
            assert (await raw(sandbox, "GET", "/API/v3/whoami", username=ADMIN))[0] == 200
        await raw(sandbox, "PUT", "/API/v3/brands/acme/extensions/nope/domains", json={"domains": []},
                  username=ADMIN)
        log = await audit(sandbox)
        assert [e["seq"] for e in log["entries"]] == list(range(9, 14))  # the latest five
        assert (log["first"], log["last"]) == (9, 13)
        assert log["totals"]["reads"] == 12 and log["totals"]["writes"] == 1  # every call, rotated out or not

        # Paging on from a seq still kept works as before; `first` tells a reader what rotated out.
        assert [e["seq"] for e in (await audit(sandbox, since=11))["entries"]] == [12, 13]
        behind = await audit(sandbox, since=2)
        assert behind["first"] > 2 + 1 and behind["entries"][0]["seq"] == behind["first"]
    finally:
        await sandbox.stop()
    with sqlite3.connect(tmp_path / "brand.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 5  # bounded on disk too


async def test_a_restarted_sandbox_keeps_its_totals(tmp_path):
    for expected in (3, 6):
        sandbox = BrandSandbox(str(tmp_path / "brand.db"), audit_entries=2)
        await sandbox.start()
        try:
            for _ in range(3):
                await raw(sandbox, "GET", "/API/v3/whoami", username=ADMIN)
            assert (await audit(sandbox))["totals"]["reads"] == expected
        finally:
            await sandbox.stop()
