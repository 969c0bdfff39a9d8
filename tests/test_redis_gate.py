"""PostgreSQL + Redis: one Redis round trip admits a request, from records kept true."""

from __future__ import annotations

import time

import pytest
from limits import parse
from limits.storage import storage_from_string

from app import create_app
from app.api.gate.redis_gate import RedisGate, lua_string
from app.api.key_hook import warm_up
from app.keys.record import to_text
from app.ratelimit import counter as counter_module
from app.ratelimit.counter import LimitCounter

from support.apps import BASE_CONFIG, dispose_engines

pytestmark = pytest.mark.redis


@pytest.fixture
def config_overrides(redis_url):
    """Run the app of this module on Redis limiter storage."""
    return {"RATELIMIT_STORAGE_URI": redis_url}


def me(client, key, **kwargs):
    return client.get("/api/me", headers={"X-API-Key": key}, **kwargs)


def remaining(response) -> int:
    return int(response.headers["X-RateLimit-Remaining"])


@pytest.fixture
def reads(app, monkeypatch) -> list[str]:
    """Every key row the gate read from the database."""
    lookup = app.extensions["api_gate"].verifier.lookup
    find = lookup.find
    seen: list[str] = []
    monkeypatch.setattr(lookup, "find", lambda key_id: seen.append(key_id) or find(key_id))
    return seen


def redis_client(app):
    return app.extensions["limit_counter"].storage.get_connection()


@pytest.mark.parametrize("name", ["chameleon:gate:user:", "caméléon", "名前:1", 'a"b\\c\n'])
def test_a_name_spelt_in_lua_is_the_name_python_writes(app, name):
    assert redis_client(app).eval(f"return {lua_string(name)}", 0) == name.encode()


def test_the_app_uses_the_one_trip_gate_on_redis(app):
    assert isinstance(app.extensions["api_gate"], RedisGate)


def test_api_budget_counts_down_and_refuses_in_redis(client, factory):
    _, key = factory.key(factory.user())
    assert [remaining(me(client, key)) for _ in range(100)] == list(range(99, -1, -1))
    refused = me(client, key)
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1


@pytest.fixture
def private_app(database_url, own_redis):
    """The app on a redis-server of the test's own: for tests that touch server-wide state."""
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
         "RATELIMIT_STORAGE_URI": own_redis.url}
    )  # fmt: skip
    yield app
    dispose_engines(app)


def test_a_cached_key_is_admitted_by_one_redis_command_and_no_database_read(
    private_app, factory, monkeypatch
):
    app, client = private_app, private_app.test_client()
    lookup = app.extensions["api_gate"].verifier.lookup
    find, reads = lookup.find, []
    monkeypatch.setattr(lookup, "find", lambda key_id: reads.append(key_id) or find(key_id))
    _, key = factory.key(factory.user())
    assert me(client, key).status_code == 200  # the first request caches the records
    assert len(reads) == 1
    redis = redis_client(app)
    redis.config_resetstat()  # server-wide: only on the test's own Redis
    assert me(client, key).status_code == 200
    assert reads == reads[:1]  # no second read
    # Redis also counts the commands a script runs; what a client sends is EVALSHA.
    sent = {
        name.removeprefix("cmdstat_"): stats["calls"]
        for name, stats in redis.info("commandstats").items()
        if name.startswith(("cmdstat_eval", "cmdstat_script", "cmdstat_hget", "cmdstat_get"))
    }
    assert sent == {"evalsha": 1}


def test_the_bcrypt_path_and_the_script_count_one_window(app, client, factory):
    user = factory.user()
    key_id, key = factory.key(user)
    factory.drop_verifier(key_id)  # its first request goes through bcrypt, then the script
    assert [remaining(me(client, key)) for _ in range(3)] == [99, 98, 97]
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    # Under this run's prefix only: other test processes share the server and its user ids.
    windows = redis_client(app).keys(f"*{prefix}*api*user:{user.id}*")
    assert windows == [f"{prefix}:budget:api:user:{user.id}:100/60".encode()]  # ours alone


@pytest.mark.parametrize("change", ["revoke", "deactivate"])
def test_a_change_is_refused_on_the_very_next_request(app, client, factory, change):
    user = factory.user()
    key_id, key = factory.key(user)
    assert me(client, key).status_code == 200  # cached in Redis now
    factory.revoke(key_id) if change == "revoke" else factory.deactivate(user)
    refused = me(client, key)
    assert refused.status_code == 401
    assert refused.json["error"]["message"] == "API key not found"


def test_a_promotion_applies_on_the_next_request_in_redis_too(client, factory):
    user = factory.user()
    _, key = factory.key(user)
    assert me(client, key).headers["X-RateLimit-Limit"] == "100"
    factory.set_role(user, "premium")
    answer = me(client, key)
    assert answer.json["role"] == "premium"
    assert answer.headers["X-RateLimit-Limit"] == "500"


def test_a_row_read_before_a_revoke_is_never_cached_after_it(app, client, factory):
    key_id, key = factory.key(factory.user())
    gate = app.extensions["api_gate"]
    script = gate.prepare()
    keys = [gate.records.key_name(key_id), gate.records.touch_name(key_id)]
    args = [gate.verifier.secret.make(key), repr(time.time())]
    address = ""  # the client's address as the script reads it (none here)
    miss = script(keys=keys, args=[*args, "", address])  # a request finds nothing cached...
    assert miss[0] == b"miss"
    with app.app_context():
        before = gate.verifier.lookup.find(key_id)  # ...reads the row...
    factory.revoke(key_id)  # ...the key is revoked...
    late = script(keys=keys, args=[*args, miss[1], address, *to_text(before)])  # ...goes on
    assert late[0] == b"ok"  # it began before the revoke: its own answer may go either way
    assert me(client, key).status_code == 401  # but its row was not cached


def test_a_key_without_a_verifier_pays_bcrypt_once_then_is_cached(
    app, client, factory, database_url, monkeypatch
):
    import bcrypt

    calls = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda *a: calls.append(1) or real(*a))
    key_id, key = factory.key(factory.user())
    factory.drop_verifier(key_id)
    assert [me(client, key).status_code for _ in range(3)] == [200] * 3
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                        "RATELIMIT_STORAGE_URI": app.config["RATELIMIT_STORAGE_URI"]})  # fmt: skip
    try:
        assert me(other.test_client(), key).status_code == 200
    finally:
        dispose_engines(other)
    assert len(calls) == 1


def test_a_redis_that_lost_its_scripts_still_counts_once(private_app, factory):
    client = private_app.test_client()
    _, key = factory.key(factory.user())
    assert remaining(me(client, key)) == 99
    redis_client(private_app).script_flush()  # as after a Redis restart; server-wide
    assert remaining(me(client, key)) == 98


def test_a_killed_redis_falls_back_to_a_share_in_memory_and_is_used_again_once_back(
    own_redis, monkeypatch, caplog
):
    monkeypatch.setattr(counter_module, "RETRY_STORAGE_AFTER_SECONDS", 0.0)
    storage = storage_from_string(own_redis.url, socket_timeout=0.5)
    counter = LimitCounter(lambda: storage, "moving-window", "test", fallback_divisor=4)
    item = parse("8 per minute")
    assert counter.hit_and_window(item, "api", "user:4")[1].remaining == 7  # in Redis

    own_redis.kill()
    allowed, stats = counter.hit_and_window(item, "api", "user:4")
    assert allowed
    assert stats.remaining == 1  # a quarter of the budget, in this process's memory
    assert counter.in_fallback
    assert "unreachable" in caplog.text
    assert counter.hit_and_window(item, "api", "user:4")[0]
    assert not counter.hit_and_window(item, "api", "user:4")[0]  # its share is spent

    own_redis.start()  # empty: it kept nothing
    allowed, stats = counter.hit_and_window(item, "api", "user:4")
    assert allowed
    assert stats.remaining == 7  # counted in the new Redis again
    assert not counter.in_fallback
    assert "reachable again" in caplog.text


def test_a_redis_restarted_between_two_requests_is_used_at_once(own_redis, caplog):
    storage = storage_from_string(own_redis.url, socket_timeout=0.5)
    counter = LimitCounter(lambda: storage, "moving-window", "test")
    item = parse("5 per minute")
    counter.hit_and_window(item, "api", "user:5")
    own_redis.kill()
    own_redis.start()
    allowed, stats = counter.hit_and_window(item, "api", "user:5")
    assert allowed
    assert stats.remaining == 4  # the restarted Redis kept nothing: one hit, in Redis
    assert "unreachable" not in caplog.text


def test_warm_up_connects_and_loads_the_script_before_the_first_request(private_app, factory):
    from sqlalchemy import event

    _, key = factory.key(factory.user())
    gate = private_app.extensions["api_gate"]
    engine = gate.verifier.lookup.engine
    connects: list[object] = []
    event.listen(engine, "connect", lambda *_: connects.append(1))
    redis = redis_client(private_app)
    redis.script_flush()
    warm_up(private_app)
    assert len(connects) == 1
    assert redis.script_exists(gate.prepare().sha) == [True]
    opened = len(connects)
    assert me(private_app.test_client(), key).status_code == 200
    assert len(connects) == opened, "the first request connected again"


def test_warm_up_starts_the_usage_writer_so_the_first_request_does_not_wait(private_app, factory):
    import threading

    def writers() -> int:
        return sum(thread.name == "usage-flusher" for thread in threading.enumerate())

    _, key = factory.key(factory.user())
    before = writers()
    warm_up(private_app)
    assert writers() == before + 1
    assert me(private_app.test_client(), key).status_code == 200
    assert writers() == before + 1, "the first request started a second writer"


def test_warm_up_with_redis_down_lets_the_worker_start(private_app, own_redis, caplog):
    own_redis.kill()
    warm_up(private_app)  # no exception: the first request will connect, or fall back
    assert "could not connect ahead of the first request" in caplog.text


def test_the_gate_runs_no_line_of_limits_scripts_and_none_of_its_keys(app, client, factory):
    from limits.storage import RedisStorage

    _, key = factory.key(factory.user())
    assert me(client, key).status_code == 200
    ours = app.extensions["api_gate"].text
    for script in (RedisStorage.SCRIPT_MOVING_WINDOW, RedisStorage.SCRIPT_ACQUIRE_MOVING_WINDOW):
        lines = {line.strip() for line in script.decode().splitlines() if len(line.strip()) > 20}
        assert not [line for line in lines if line in ours]
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    assert not redis_client(app).keys(f"*LIMITER/{prefix}/api/*")  # counted in ours alone
