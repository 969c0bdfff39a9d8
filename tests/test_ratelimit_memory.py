"""``memory://``: limits' own storage, with old entries swept in line instead of by threads."""

from __future__ import annotations

import threading
import time

import pytest
from limits import parse
from limits.strategies import MovingWindowRateLimiter

from app.extensions import limiter
from app.ratelimit import memory as ratelimit_memory
from app.ratelimit.memory import SWEEP_INTERVAL, SweptMemoryStorage


def fresh_storage() -> SweptMemoryStorage:
    storage = SweptMemoryStorage()
    storage.timer.join()  # the one Timer that limits' own __init__ starts
    return storage


def test_memory_uri_gives_the_swept_storage(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert type(limiter.storage) is SweptMemoryStorage


def limits_hit(storage: SweptMemoryStorage, item, *identifiers: str) -> None:
    MovingWindowRateLimiter(storage).hit(item, *identifiers)


def one_pass_hit(storage: SweptMemoryStorage, item, *identifiers: str) -> None:
    # How the API's budgets hit memory (app/ratelimit.py).
    storage.hit_and_window(item.key_for(*identifiers), item.amount, item.get_expiry())


# Both ways a hit reaches the storage must sweep in line, and never by a thread.
BOTH_HITS = pytest.mark.parametrize(
    "hit", [limits_hit, one_pass_hit], ids=["limits hit", "hit_and_window"]
)


@BOTH_HITS
def test_hits_start_no_thread(monkeypatch, hit):
    # limits' MemoryStorage starts a Timer thread on a hit whenever none is alive; this
    # also fails if limits renames the private hook that SweptMemoryStorage overrides.
    storage = fresh_storage()
    item = parse("1000 per second")
    started: list[threading.Thread] = []
    monkeypatch.setattr(threading.Thread, "start", started.append)
    for n in range(50):
        hit(storage, item, "user", str(n % 5))
    assert sum(len(events) for events in storage.events.values()) == 50
    assert started == []


@BOTH_HITS
def test_old_entries_are_swept_by_a_hit_after_the_interval(clock, monkeypatch, hit):
    storage = fresh_storage()
    item = parse("10 per second")
    for _ in range(3):
        hit(storage, item, "a")
    key = item.key_for("a")
    assert len(storage.events[key]) == 3

    clock.advance(5)  # the entries are out of their window now
    hit(storage, item, "b")
    assert len(storage.events[key]) == 3, "swept again within SWEEP_INTERVAL"

    later = time.monotonic() + SWEEP_INTERVAL + 1
    monkeypatch.setattr(ratelimit_memory, "monotonic", lambda: later)
    hit(storage, item, "b")
    assert storage.events[key] == []
    assert len(storage.events[item.key_for("b")]) == 2


def test_the_window_is_counted_as_limits_counts_it(clock):
    storage = fresh_storage()
    strategy = MovingWindowRateLimiter(storage)
    item = parse("3 per minute")
    assert [strategy.hit(item, "u") for _ in range(4)] == [True, True, True, False]
    clock.advance(61)
    assert strategy.hit(item, "u")
    assert strategy.get_window_stats(item, "u").remaining == 2


@pytest.mark.parametrize("limit", [0, 1, 3, 10])
def test_hit_and_window_answers_as_limits_two_calls(clock, limit):
    # The one-pass version against limits' own acquire_entry and get_moving_window, on two
    # storages fed the same hits at the same (frozen) times: hits within the limit, past it,
    # with the window full, sliding and empty.
    ours, theirs = fresh_storage(), fresh_storage()
    expiry = 10
    steps = [0, 0, 1, 0, 2, 3, 0, 9, 1, 0, 11, 0, 0, 10, 0, 5, 5, 10, 25, 4, 4, 4]
    for step in steps:
        clock.advance(step)
        expected = (
            theirs.acquire_entry("k", limit, expiry),
            *theirs.get_moving_window("k", limit, expiry),
        )
        assert ours.hit_and_window("k", limit, expiry) == expected
        assert [e.atime for e in ours.events.get("k", [])] == [
            e.atime for e in theirs.events.get("k", [])
        ]
