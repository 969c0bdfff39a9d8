"""``MovingWindows`` counts as limits' moving window does, in bounded memory."""

from __future__ import annotations

import threading
import time
from collections import deque

import pytest
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from app.ratelimit.windows import SWEEP_SECONDS, MovingWindows


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def windows(clock: Clock) -> MovingWindows:
    return MovingWindows(clock)


def test_grants_the_limit_in_any_window_and_no_more(windows, clock):
    item = parse("3 per minute")
    grants = []
    for _ in range(12):  # one request every 10 seconds for two minutes
        grants.append(windows.hit_and_window(item, "api", "user:1")[0])
        clock.now += 10
    # Three at 0, 10, 20 s; the next at 70 s: at 60 s the first is still on the window's edge.
    assert grants == [True] * 3 + [False] * 4 + [True] * 3 + [False] * 2


def test_the_window_says_what_is_left_and_when_it_frees(windows, clock):
    item = parse("2 per minute")
    start = clock.now
    allowed, stats = windows.hit_and_window(item, "u")
    assert allowed and stats.remaining == 1 and stats.reset_time == start + 60
    clock.now += 5
    allowed, stats = windows.hit_and_window(item, "u")
    assert allowed and stats.remaining == 0 and stats.reset_time == start + 60
    allowed, stats = windows.hit_and_window(item, "u")
    assert not allowed and stats.remaining == 0
    assert not windows.test(item, "u")
    assert windows.get_window_stats(item, "u").remaining == 0


def test_test_and_window_count_nothing(windows):
    item = parse("1 per minute")
    for _ in range(5):
        assert windows.test(item, "u")
        assert windows.get_window_stats(item, "u").remaining == 1
    assert windows.hit_and_window(item, "u")[0]


def test_each_caller_and_each_limit_size_has_its_own_window(windows):
    small, large = parse("1 per minute"), parse("2 per minute")
    assert windows.hit_and_window(small, "u", "1")[0]
    assert not windows.hit_and_window(small, "u", "1")[0]
    assert windows.hit_and_window(small, "u", "2")[0]
    assert windows.hit_and_window(large, "u", "1")[0]  # a new size starts a fresh window


def test_agrees_with_limits_moving_window_request_for_request(windows, clock, monkeypatch):
    monkeypatch.setattr("time.time", clock)
    theirs = MovingWindowRateLimiter(MemoryStorage())
    item = parse("5 per 10 seconds")
    # Never exactly on a window's edge, where limits' hit and window read disagree.
    gaps = [0.53, 0.47, 3.1, 0.11, 0.13, 0.17, 4.3, 2.9, 0.23, 6.1, 0.07, 9.7, 0.19, 10.3] * 3
    for gap in gaps:
        clock.now += gap
        ours, stats = windows.hit_and_window(item, "k")
        assert ours == theirs.hit(item, "k")
        assert stats.remaining == theirs.get_window_stats(item, "k").remaining


def test_idle_windows_are_swept_out(windows, clock):
    item = parse("10 per second")
    for user in range(100):
        windows.hit_and_window(item, "user", str(user))
    assert len(windows) == 100
    clock.now += SWEEP_SECONDS + 1
    windows.hit_and_window(item, "user", "busy")
    assert windows.identifiers() == [("user", "busy")]


def test_a_sweep_keeps_every_window_still_counting(windows, clock):
    hourly, brief = parse("5 per hour"), parse("5 per second")
    for _ in range(3):
        windows.hit_and_window(hourly, "email", "e")
    windows.hit_and_window(brief, "user", "1")
    clock.now += SWEEP_SECONDS + 1
    windows.hit_and_window(brief, "user", "2")  # sweeps
    assert sorted(windows.identifiers()) == [("email", "e"), ("user", "2")]
    assert windows.get_window_stats(hourly, "email", "e").remaining == 2


def test_a_sweep_stops_at_the_first_window_in_use(windows, clock):
    item = parse("5 per 5 seconds")
    start = clock.now
    for offset, user in ((0, "b"), (1, "a"), (8, "c"), (9, "a")):
        clock.now = start + offset
        windows.hit_and_window(item, "user", user)
    clock.now = start + SWEEP_SECONDS
    windows.hit_and_window(item, "user", "d")  # sweeps: only b is idle
    assert windows.identifiers() == [("user", "c"), ("user", "a"), ("user", "d")]
    assert windows.get_window_stats(item, "user", "a").remaining == 4


class SlowDeque(deque):
    """A deque that hands the CPU to another thread whenever it is counted."""

    def __len__(self) -> int:
        length = super().__len__()
        time.sleep(0)  # between counting and acting on the count
        return length


def test_threads_together_never_get_more_than_the_limit(monkeypatch):
    monkeypatch.setattr("app.ratelimit.windows.deque", SlowDeque)  # a race, if any, shows
    windows = MovingWindows()
    item = parse("500 per minute")
    granted = []

    def spend() -> None:
        granted.extend(windows.hit_and_window(item, "shared")[0] for _ in range(200))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 500


def test_past_its_cap_the_least_recently_granted_window_is_forgotten(clock):
    windows = MovingWindows(clock, max_windows=3)
    item = parse("1 per minute")
    for name in ("a", "b", "c"):
        assert windows.hit_and_window(item, name)[0]
    assert windows.hit_and_window(item, "d")[0]  # "a" granted least recently: it goes
    assert len(windows) == 3
    assert not windows.hit_and_window(item, "b")[0]  # still counted
    assert windows.hit_and_window(item, "a")[0]  # a fresh window
