"""The API keeps answering when Redis, the limiter storage, is unreachable.

Two ways of losing it: a URL pointing at a port nobody listens on from the start, and a
real ``redis-server`` of the test's own killed while requests are flowing (the machine's
Redis on 6379 is never touched). Either way no request gets a 500, requests still get 200
(or 429 once over budget), ``/healthz`` says ``rate_limit_storage`` is down (degraded, not
an outage), sign-in limits still hold, and once Redis is back the counting goes back to it.
"""

from __future__ import annotations

import threading
from collections import Counter
from functools import partial

import pytest
import requests
from e2e_support import (
    SQLITE_ONLY,
    TIMEOUT,
    ConsoleClient,
    assert_rate_limited,
    key_header,
    run_concurrently,
    server_log_errors,
    wait_for,
)

from app.keys.format import generate_key

from support.servers import free_port

pytestmark = [pytest.mark.gunicorn, SQLITE_ONLY]


def post_endpoint(base_url: str, key: str) -> requests.Response:
    """One echo call on a connection of its own."""
    with requests.Session() as http:
        return http.post(
            f"{base_url}/api/endpoint", headers=key_header(key), json={}, timeout=TIMEOUT
        )


def healthz(base_url: str) -> requests.Response:
    """The readiness check."""
    return requests.get(f"{base_url}/healthz", timeout=TIMEOUT)


def assert_storage_reported_down(base_url: str) -> None:
    """``/healthz`` names the limiter storage, and only it, as down: degraded, still 200."""
    response = healthz(base_url)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["down"] == ["rate_limit_storage"]
    assert body["rate_limit_fallback"] == "on"


def assert_only_200_and_429(responses: list[requests.Response]) -> Counter:
    """No 5xx (or anything else): each answer is a 200 echo or a proper 429."""
    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {200, 429}, statuses
    for response in responses:
        if response.status_code == 200:
            assert response.json()["ok"] is True
        else:
            assert_rate_limited(response)
    return statuses


def test_closed_port_never_gives_500_and_limits_still_hold(gunicorn, database_url, factory):
    user = factory.user()
    _, key = factory.key(user)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    server = gunicorn(database_url, workers=4, env={"FLASK_RATELIMIT_STORAGE_URI": dead})

    responses = run_concurrently([partial(post_endpoint, server.url, key)] * 150, threads=8)

    statuses = assert_only_200_and_429(responses)
    # Each of the 4 workers counts a quarter of the budget in its own memory: the API keeps
    # answering, and the host as a whole never grants more than the budget.
    assert 25 <= statuses[200] <= 100, statuses
    assert_storage_reported_down(server.url)

    # Failed key checks are still counted (in memory) and answered, not crashed on.
    for presented, code in (
        ("", "missing_api_key"),
        ("ck_not_a_key", "invalid_api_key"),
        (generate_key().value, "invalid_api_key"),
    ):
        with requests.Session() as http:
            response = http.get(
                f"{server.url}/api/me", headers={"X-API-Key": presented}, timeout=TIMEOUT
            )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == code, presented

    # Sign-in limits never become unlimited: 5 per minute per email, counted in each of
    # the 4 workers' memory, so 25 wrong passwords must meet a 429.
    def wrong_password() -> int:
        with ConsoleClient(server.url) as console:
            return console.submit_login(user.email, "wrong password").status_code

    attempts = Counter(run_concurrently([wrong_password] * 25, threads=4))
    assert set(attempts) <= {422, 429}, attempts
    assert attempts[429] >= 5, attempts
    assert not server_log_errors(server.log()), server.log()[-3000:]


@pytest.mark.redis  # a redis-server of its own: the machine's Redis is never touched
def test_redis_killed_mid_run(gunicorn, database_url, factory, own_redis):
    user = factory.user()
    _, key = factory.key(user)
    server = gunicorn(database_url, workers=4, env={"FLASK_RATELIMIT_STORAGE_URI": own_redis.url})
    assert healthz(server.url).status_code == 200

    answered: list[requests.Response] = []
    lock = threading.Lock()
    answered_before_kill: list[int] = []

    def call() -> None:
        response = post_endpoint(server.url, key)
        with lock:
            answered.append(response)

    def kill_when_warm() -> None:
        wait_for(lambda: len(answered) >= 60, timeout=30, what="60 answers before the kill")
        own_redis.kill()
        answered_before_kill.append(len(answered))

    killer = threading.Thread(target=kill_when_warm)
    killer.start()
    try:
        run_concurrently([call] * 250, threads=8)
    finally:
        killer.join()

    # Mid-run: plenty of requests met a dead Redis.
    assert answered_before_kill[0] <= 200, answered_before_kill
    statuses = assert_only_200_and_429(answered)
    assert sum(statuses.values()) == 250
    # 100 from the shared budget before the kill at most, then each worker's own budget.
    assert statuses[200] >= 100, statuses
    assert_storage_reported_down(server.url)

    # Redis comes back (empty, on the same port): health says so and counting resumes there.
    own_redis.start()
    wait_for(lambda: healthz(server.url).json()["status"] == "ok", timeout=20, what="/healthz ok")
    connection = own_redis.client()
    try:

        def counted_in_redis() -> bool:
            # Both answers are right here, from different workers: one still counting in
            # memory until its next retry of Redis has its share spent (a proper 429); one
            # back on Redis counts in the new, empty Redis (200).
            assert_only_200_and_429([post_endpoint(server.url, key)])
            return bool(connection.keys("*"))

        wait_for(counted_in_redis, timeout=40, what="requests counted in Redis again", interval=0.2)
        stored = b" ".join(connection.keys("*"))
    finally:
        connection.close()
    assert key.encode() not in stored  # the limiter keys on the user, never on the key
    assert not server_log_errors(server.log()), server.log()[-3000:]
