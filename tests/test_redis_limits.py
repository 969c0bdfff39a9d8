"""Budgets kept in real Redis: the same answers as in memory, in one round trip per request."""

from __future__ import annotations

import time

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app import ratelimit, ratelimit_redis
from app.keys.format import checksum
from app.keys.lookup import StoreUnavailable
from app.ratelimit import LimitCounter

pytestmark = pytest.mark.redis


@pytest.fixture
def config_overrides(redis_url):
    """Run the app of this module on Redis limiter storage."""
    return {"RATELIMIT_STORAGE_URI": redis_url}


def test_the_joined_script_counts_and_reads_as_limits_two_calls_do(redis_url):
    strategy = MovingWindowRateLimiter(storage_from_string(redis_url))
    counter = LimitCounter(lambda: strategy, "moving-window", "test")
    item = parse("5 per minute")
    for used in range(1, 6):
        allowed, stats = counter.hit_and_window(item, "api", "user:1")
        assert allowed
        assert stats.remaining == 5 - used
        assert stats == strategy.get_window_stats(item, "test", "api", "user:1")
        assert time.time() < stats.reset_time <= time.time() + 60
    allowed, stats = counter.hit_and_window(item, "api", "user:1")
    assert not allowed
    assert stats.remaining == 0
    assert not strategy.hit(item, "test", "api", "user:1")  # the strategy agrees


def test_api_budget_counts_down_and_refuses_in_redis(client, factory):
    _, key = factory.key(factory.user())
    remaining = [
        int(client.get("/api/me", headers={"X-API-Key": key}).headers["X-RateLimit-Remaining"])
        for _ in range(100)
    ]
    assert remaining == list(range(99, -1, -1))
    refused = client.get("/api/me", headers={"X-API-Key": key})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_a_hit_with_its_window_is_one_redis_command(redis_url):
    strategy = MovingWindowRateLimiter(storage_from_string(redis_url))
    counter = LimitCounter(lambda: strategy, "moving-window", "test")
    item = parse("5 per minute")
    counter.hit_and_window(item, "api", "user:3")  # the first use may load the script
    client = strategy.storage.get_connection()
    client.config_resetstat()
    counter.hit_and_window(item, "api", "user:3")
    # Redis also counts the commands a script runs (LINDEX, LPUSH...); what a client sends
    # to run scripts is EVAL, EVALSHA or SCRIPT.
    sent = {
        name.removeprefix("cmdstat_"): stats["calls"]
        for name, stats in client.info("commandstats").items()
        if name.startswith(("cmdstat_eval", "cmdstat_script"))
    }
    assert sent == {"evalsha": 1}


def test_a_redis_that_lost_its_scripts_still_counts_once(redis_url):
    strategy = MovingWindowRateLimiter(storage_from_string(redis_url))
    counter = LimitCounter(lambda: strategy, "moving-window", "test")
    item = parse("5 per minute")
    counter.hit_and_window(item, "api", "user:2")
    strategy.storage.get_connection().script_flush()  # as after a Redis restart
    allowed, stats = counter.hit_and_window(item, "api", "user:2")
    assert allowed
    assert stats.remaining == 3  # the second hit counted exactly once


def test_a_killed_redis_falls_back_to_memory_and_is_used_again_once_back(
    own_redis, monkeypatch, caplog
):
    monkeypatch.setattr(ratelimit, "RETRY_STORAGE_AFTER_SECONDS", 0.0)
    strategy = MovingWindowRateLimiter(storage_from_string(own_redis.url))
    counter = LimitCounter(lambda: strategy, "moving-window", "test")
    item = parse("5 per minute")
    assert counter.hit_and_window(item, "api", "user:4")[1].remaining == 4  # in Redis

    own_redis.kill()  # the held connection is now dead
    allowed, stats = counter.hit_and_window(item, "api", "user:4")
    assert allowed
    assert stats.remaining == 4  # counted in memory, which starts its own window
    assert "unreachable" in caplog.text

    own_redis.start()  # empty: it kept nothing
    allowed, stats = counter.hit_and_window(item, "api", "user:4")
    assert allowed
    assert stats.remaining == 4  # counted in the new Redis again, on a new connection
    assert "reachable again" in caplog.text
    assert strategy.get_window_stats(item, "test", "api", "user:4").remaining == 4


def test_a_redis_restarted_between_two_requests_is_used_at_once(own_redis, caplog):
    # The held connection is closed by the restart; the next hit must notice before sending,
    # reconnect, and count in Redis (not fall back to memory for a while).
    strategy = MovingWindowRateLimiter(storage_from_string(own_redis.url))
    counter = LimitCounter(lambda: strategy, "moving-window", "test")
    item = parse("5 per minute")
    counter.hit_and_window(item, "api", "user:5")
    own_redis.kill()
    own_redis.start()
    allowed, stats = counter.hit_and_window(item, "api", "user:5")
    assert allowed
    assert stats.remaining == 4  # the restarted Redis kept nothing: one hit, in Redis
    assert strategy.get_window_stats(item, "test", "api", "user:5").remaining == 4
    assert "unreachable" not in caplog.text


def me(client, key):
    return client.get("/api/me", headers={"X-API-Key": key})


def remaining(response) -> int:
    return int(response.headers["X-RateLimit-Remaining"])


@pytest.fixture
def events(app, monkeypatch) -> list[str]:
    """What the key hook does, in order: rows read, and hits sent, answered or withdrawn."""
    events: list[str] = []
    send = ratelimit_redis.send_hit_and_window

    class RecordedHit:
        def __init__(self, sent):
            self.sent = sent

        def answer(self):
            events.append("hit answered")
            return self.sent.answer()

        def withdraw(self):
            events.append("hit withdrawn")
            self.sent.withdraw()

    def recording_send(*args):
        events.append("hit sent")
        return RecordedHit(send(*args))

    lookup = app.extensions["key_verifier"].lookup
    find = lookup.find
    monkeypatch.setattr(ratelimit_redis, "send_hit_and_window", recording_send)
    monkeypatch.setattr(lookup, "find", lambda key_id: events.append("row read") or find(key_id))
    return events


def user_window(app, user, limit="100 per minute"):
    """What is left of ``user``'s budget window of size ``limit``, read from Redis."""
    counter = app.extensions["api_budget"].counter
    return counter.window(parse(limit), "api", f"user:{user.id}").remaining


def test_a_known_key_is_charged_while_its_row_is_read(client, factory, events):
    _, key = factory.key(factory.user())
    assert remaining(me(client, key)) == 99  # first use: read, bcrypt, then the charge
    assert events == ["row read", "hit sent", "hit answered"]
    events.clear()
    assert remaining(me(client, key)) == 98  # known: the hit travels during the read
    assert events == ["hit sent", "row read", "hit answered"]


@pytest.mark.parametrize(
    ("make_unusable", "read_again"),
    [
        ("revoke", ["row read"]),
        ("delete_row", []),  # an unknown key id from then on: not even read again
    ],
)
def test_a_key_its_row_refuses_charges_its_owner_nothing_and_is_forgotten(
    app, client, factory, events, make_unusable, read_again
):
    user = factory.user()
    key_id, key = factory.key(user)
    assert remaining(me(client, key)) == 99
    getattr(factory, make_unusable)(key_id)
    events.clear()
    assert me(client, key).status_code == 401
    # Sent before the read told of the refusal, and taken back before the failed check
    # was counted against the address (the last hit); then the key is forgotten.
    failure_counted = ["hit sent", "hit answered"]
    assert events == ["hit sent", "row read", "hit withdrawn", *failure_counted]
    events.clear()
    assert me(client, key).status_code == 401
    assert events == [*read_again, *failure_counted]
    assert user_window(app, user) == 99


def test_a_database_outage_charges_nothing(app, client, factory, events, monkeypatch):
    user = factory.user()
    _, key = factory.key(user)
    assert remaining(me(client, key)) == 99
    lookup = app.extensions["key_verifier"].lookup

    def unavailable(key_id):
        raise StoreUnavailable("connection refused")

    monkeypatch.setattr(lookup, "find", unavailable)
    for _ in range(3):
        assert me(client, key).status_code == 503  # clients retry these
    assert user_window(app, user) == 99
    monkeypatch.undo()
    assert remaining(me(client, key)) == 98


def test_a_deleted_key_is_forgotten_even_when_another_key_found_its_id_gone_first(
    app, client, factory, events
):
    key_id, key = factory.key(factory.user())
    assert remaining(me(client, key)) == 99
    factory.delete_row(key_id)
    body = f"ck_{key_id}_{'a' * 32}"
    assert me(client, body + checksum(body)).status_code == 401  # same id, another secret
    events.clear()
    failure_counted = ["hit sent", "hit answered"]
    assert me(client, key).status_code == 401
    assert events == ["hit sent", "hit withdrawn", *failure_counted]
    events.clear()
    assert me(client, key).status_code == 401
    assert events == failure_counted


def test_a_promotion_applies_on_the_next_request_in_redis_too(app, client, factory, events):
    user = factory.user()
    _, key = factory.key(user)
    assert remaining(me(client, key)) == 99
    assert remaining(me(client, key)) == 98  # known, with its role
    factory.set_role(user, "premium")
    events.clear()
    promoted = me(client, key)
    assert promoted.headers["X-RateLimit-Limit"] == "500"
    assert remaining(promoted) == 499  # the new size starts its own window
    # Sent for the remembered role, withdrawn when the row said otherwise, sent again.
    assert events == ["hit sent", "row read", "hit withdrawn", "hit sent", "hit answered"]
    assert user_window(app, user) == 98  # the old window kept nothing of it
    events.clear()
    assert remaining(me(client, key)) == 498
    assert events == ["hit sent", "row read", "hit answered"]  # the new role is remembered


def test_a_cancelled_hit_is_taken_back_and_the_connection_stays_in_step(redis_url):
    strategy = MovingWindowRateLimiter(storage_from_string(redis_url))
    counter = LimitCounter(lambda: strategy, "moving-window", "test")
    item = parse("5 per minute")
    counter.hit_and_window(item, "api", "user:7")
    counter.start_hit_and_window(item, "api", "user:7").cancel()
    allowed, stats = counter.hit_and_window(item, "api", "user:7")
    assert allowed
    assert stats.remaining == 3  # this hit's own answer; the cancelled one left no trace


def test_a_redis_lost_after_the_hit_was_sent_counts_it_in_memory(own_redis, caplog):
    strategy = MovingWindowRateLimiter(storage_from_string(own_redis.url))
    counter = LimitCounter(lambda: strategy, "moving-window", "test")
    item = parse("5 per minute")
    counter.hit_and_window(item, "api", "user:6")
    # Paused, Redis holds the hit unanswered; killed, it never answers.
    with own_redis.client() as admin:
        admin.client_pause(10_000)
    pending = counter.start_hit_and_window(item, "api", "user:6")
    own_redis.kill()
    allowed, stats = pending.finish()
    assert allowed
    assert stats.remaining == 4  # counted in memory, which starts its own window
    assert "unreachable" in caplog.text


def test_a_redis_lost_before_a_withdrawal_counts_in_memory_from_then_on(own_redis, caplog):
    strategy = MovingWindowRateLimiter(storage_from_string(own_redis.url))
    counter = LimitCounter(lambda: strategy, "moving-window", "test")
    item = parse("5 per minute")
    counter.hit_and_window(item, "api", "user:8")  # connected: the pause holds only the hit
    with own_redis.client() as admin:
        admin.client_pause(10_000)
    pending = counter.start_hit_and_window(item, "api", "user:8")
    own_redis.kill()
    pending.cancel()  # no answer, nothing taken back: Redis is down for a while
    assert "unreachable" in caplog.text
    allowed, stats = counter.hit_and_window(item, "api", "user:8")
    assert allowed
    assert stats.remaining == 4  # counted in memory, which starts its own window


def test_only_a_redis_that_answers_is_charged_ahead(redis_url, own_redis):
    def counter_on(uri: str) -> LimitCounter:
        strategy = MovingWindowRateLimiter(storage_from_string(uri))
        return LimitCounter(lambda: strategy, "moving-window", "test")

    assert not counter_on("memory://").sends_ahead()  # nothing to overlap in memory
    assert counter_on(redis_url).sends_ahead()
    down = counter_on(own_redis.url)
    own_redis.kill()
    down.hit_and_window(parse("5 per minute"), "api", "user:9")  # finds Redis gone
    assert not down.sends_ahead()
