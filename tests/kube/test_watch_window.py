"""The watch history's window, sized as the real server's watch cache sizes its own: every change of the
last 75 s while the resource is busy (up to 100 * 1024), only the latest `lower` once it is quiet."""

from __future__ import annotations

import pytest

from qxo.sandbox.kube import watch
from qxo.sandbox.kube.watch import Change, Channel, Window


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(watch.time, "monotonic", lambda: now[0])
    return now


def _publish(channel: Channel, first: int, count: int) -> None:
    for rv in range(first, first + count):
        channel.publish(Change(rv, "MODIFIED", {}, None, "default"))


def test_a_busy_resource_keeps_every_change_younger_than_the_window(clock):
    channel = Channel(Window(lower=4), floor=0)
    _publish(channel, 1, 50)
    assert [c.rv for c in channel.since(0)] == list(range(1, 51))
    assert channel.capacity == 64


def test_the_history_never_grows_past_its_upper_bound(clock):
    channel = Channel(Window(lower=2, upper=8), floor=0)
    _publish(channel, 1, 20)
    assert channel.since(11) is None  # 410 Gone: rv 12 has left
    assert [c.rv for c in channel.since(12)] == list(range(13, 21))
    assert channel.floor == 12


def test_once_quiet_the_history_shrinks_to_its_latest_changes(clock):
    channel = Channel(Window(lower=4), floor=0)
    _publish(channel, 1, 8)  # fresh: the history doubled to hold them
    clock[0] += 76  # all of them are stale now
    _publish(channel, 9, 1)
    assert channel.capacity == 4
    assert channel.since(4) is None  # 410 Gone: rv 5 has left
    assert [c.rv for c in channel.since(5)] == [6, 7, 8, 9]


def test_a_full_history_of_stale_changes_drops_the_oldest_and_keeps_its_lower_bound(clock):
    channel = Channel(Window(lower=4), floor=0)
    _publish(channel, 1, 4)
    clock[0] += 100
    _publish(channel, 5, 2)
    assert channel.capacity == 4
    assert [c.rv for c in channel.since(2)] == [3, 4, 5, 6]
    assert channel.since(1) is None


def test_no_change_is_fresh_with_a_zero_window(clock):
    channel = Channel(Window(lower=3, fresh=0), floor=0)
    _publish(channel, 1, 5)
    assert channel.capacity == 3 and [c.rv for c in channel.since(2)] == [3, 4, 5]
