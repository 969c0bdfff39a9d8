"""Our moving window in Redis (app/api/gate/window.lua): exact, boundless, shared."""

from __future__ import annotations

import itertools
import threading

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limits import parse

from app.api.budget import ApiBudget
from app.api.gate.windows import RedisWindows
from app.ratelimit import counter as counter_module
from app.ratelimit.counter import LimitCounter

from support.services import KEY_PREFIX

pytestmark = pytest.mark.redis

FIVE_PER_TEN_SECONDS = parse("5 per 10 seconds")
EXAMPLES = itertools.count()


@pytest.fixture
def windows(redis_url):
    """Our windows on the shared Redis, under the suite's prefix."""
    client = redis.Redis.from_url(redis_url)
    yield RedisWindows(lambda: client, KEY_PREFIX)
    client.close()


def test_a_budget_grants_exactly_its_amount_and_counts_down(windows):
    answers = [
        windows.charge(FIVE_PER_TEN_SECONDS, "api", "user:1", now=1000.0 + n) for n in range(6)
    ]
    assert [allowed for allowed, _ in answers] == [True] * 5 + [False]
    assert [stats.remaining for _, stats in answers] == [4, 3, 2, 1, 0, 0]
    assert answers[-1][1].reset_time == 1010.0  # when the oldest grant leaves the window


def test_no_double_burst_at_a_boundary(windows):
    # Five at the end of one ten-second span, then the next span begins: a fixed window
    # would grant five more at once; a moving one waits for the first five to leave.
    granted = [
        windows.charge(FIVE_PER_TEN_SECONDS, "api", "user:2", now=1009.0 + n / 10)[0]
        for n in range(5)
    ]
    assert granted == [True] * 5
    assert not windows.charge(FIVE_PER_TEN_SECONDS, "api", "user:2", now=1010.5)[0]
    assert not windows.charge(FIVE_PER_TEN_SECONDS, "api", "user:2", now=1018.99)[0]
    assert windows.charge(FIVE_PER_TEN_SECONDS, "api", "user:2", now=1019.0)[0]  # the first left
    assert not windows.charge(FIVE_PER_TEN_SECONDS, "api", "user:2", now=1019.05)[0]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(gaps=st.lists(st.floats(min_value=0, max_value=4, allow_nan=False), min_size=1, max_size=40))
def test_it_grants_exactly_what_a_moving_window_allows(windows, gaps):
    identifier = f"user:example-{next(EXAMPLES)}"
    now, granted = 5000.0, []
    for gap in gaps:
        now += gap
        in_window = [moment for moment in granted if moment > now - 10]
        allowed, stats = windows.charge(FIVE_PER_TEN_SECONDS, "api", identifier, now=now)
        assert allowed == (len(in_window) < 5)
        if allowed:
            granted.append(now)
        assert stats.remaining == 5 - len([m for m in granted if m > now - 10])


def test_one_budget_is_shared_by_every_connection(redis_url):
    clients = [redis.Redis.from_url(redis_url) for _ in range(4)]  # as four processes would
    item = parse("100 per minute")
    granted: list[bool] = []
    lock = threading.Lock()

    def spend(client) -> None:
        windows = RedisWindows(lambda: client, KEY_PREFIX)
        for _ in range(40):
            allowed, _ = windows.charge(item, "api", "user:shared")
            with lock:
                granted.append(allowed)

    threads = [threading.Thread(target=spend, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    assert granted.count(True) == 100
    assert granted.count(False) == 60


def test_the_api_budget_falls_back_to_a_share_in_memory_while_redis_is_away(own_redis, monkeypatch):
    monkeypatch.setattr(counter_module, "RETRY_STORAGE_AFTER_SECONDS", 0.0)
    client = own_redis.client()
    counter = LimitCounter(lambda: None, "moving-window", "test", fallback_divisor=4)
    budget = ApiBudget(counter, RedisWindows(lambda: client, "test"))
    monkeypatch.setattr("app.api.budget.rate_limit_for", lambda role: "8 per minute")
    assert budget.charge(4, "standard")[1]["X-RateLimit-Remaining"] == "7"  # in Redis

    own_redis.kill()
    assert [budget.charge(4, "standard")[0] for _ in range(3)] == [True, True, False]
    assert counter.in_fallback  # a quarter of the budget, in this process's memory

    own_redis.start()  # empty: it kept nothing
    allowed, headers, _ = budget.charge(4, "standard")
    assert allowed and headers["X-RateLimit-Remaining"] == "7"  # counted in Redis again
    assert not counter.in_fallback
    client.close()


@pytest.fixture
def config_overrides(redis_url):
    """The app of the last test on Redis."""
    return {"RATELIMIT_STORAGE_URI": redis_url}


def test_the_gate_moves_its_window_with_time_not_at_a_boundary(client, factory, clock):
    _, key = factory.key(factory.user())
    assert all(
        client.get("/api/me", headers={"X-API-Key": key}).status_code == 200 for _ in range(100)
    )
    refused = client.get("/api/me", headers={"X-API-Key": key})
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["Retry-After"] == "60"
    clock.advance(30)
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 429
    clock.advance(31)
    answer = client.get("/api/me", headers={"X-API-Key": key})
    assert answer.status_code == 200
    assert answer.headers["X-RateLimit-Remaining"] == "99"  # the 100 left at once
