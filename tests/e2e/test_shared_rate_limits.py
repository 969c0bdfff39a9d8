"""One budget per user across 4 gunicorn workers sharing Redis, for real.

Each worker is a separate process, so a limit counted in process memory would grant each
of them the whole budget again; only a shared storage gives exactly 100 of 150.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import partial

import pytest
import requests
from e2e_support import TIMEOUT, assert_rate_limited, key_header, run_concurrently

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis]

# The worker's pid in each access log line, to show the requests really were spread out.
ACCESS_LOG_WITH_PID = "--access-logformat '%(p)s \"%(m)s %(U)s\" %(s)s'"
_LINE = re.compile(r'<(\d+)> "POST /api/endpoint" (\d{3})$', re.MULTILINE)


def post_endpoint(base_url: str, key: str, number: int) -> requests.Response:
    """One echo call on a connection of its own (gunicorn's sync workers close each one)."""
    with requests.Session() as http:
        return http.post(
            f"{base_url}/api/endpoint",
            headers=key_header(key),
            json={"n": number},
            timeout=TIMEOUT,
        )


def start_shared(gunicorn, database_url: str, redis_url: str):
    """Four workers on Redis, logging which worker served each request."""
    return gunicorn(
        database_url,
        workers=4,
        env={"FLASK_RATELIMIT_STORAGE_URI": redis_url, "GUNICORN_CMD_ARGS": ACCESS_LOG_WITH_PID},
    )


def served_by(log: str) -> Counter:
    """How many echo calls each worker pid answered."""
    return Counter(pid for pid, _status in _LINE.findall(log))


def test_150_requests_over_4_workers_give_exactly_100(gunicorn, database_url, factory, redis_url):
    user = factory.user()
    _, key = factory.key(user, "Mobile App")
    server = start_shared(gunicorn, database_url, redis_url)

    calls = [partial(post_endpoint, server.url, key, n) for n in range(150)]
    responses = run_concurrently(calls, threads=12)

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {200: 100, 429: 50}, f"{statuses}; log:\n{server.log()[-3000:]}"
    for response in responses:
        assert response.headers["X-RateLimit-Limit"] == "100"
        assert "X-RateLimit-Remaining" in response.headers
        assert "X-RateLimit-Reset" in response.headers
        if response.status_code == 200:
            assert response.json()["ok"] is True
            assert "Retry-After" not in response.headers
        else:
            assert_rate_limited(response)
    # The 150 requests did land on several workers, so the budget was shared, not local.
    assert len(served_by(server.log())) >= 2, server.log()[-3000:]


def test_two_keys_of_one_user_share_the_budget(gunicorn, database_url, factory, redis_url):
    user = factory.user()
    _, first = factory.key(user, "Web")
    _, second = factory.key(user, "Cron job")
    other_user = factory.user()
    _, other = factory.key(other_user, "Someone else")
    server = start_shared(gunicorn, database_url, redis_url)

    keys = [first if n % 2 else second for n in range(150)]
    calls = [partial(post_endpoint, server.url, key, n) for n, key in enumerate(keys)]
    responses = run_concurrently(calls, threads=12)

    assert Counter(r.status_code for r in responses) == {200: 100, 429: 50}
    by_key = {key: Counter() for key in (first, second)}
    for key, response in zip(keys, responses, strict=True):
        by_key[key][response.status_code] += 1
        if response.status_code == 429:
            assert_rate_limited(response)
    # Both keys drew on the one budget (75 calls each, 100 successes between them).
    assert by_key[first][200] > 25 and by_key[second][200] > 25, by_key
    # ...and both are now refused, on every worker.
    for key in (first, second):
        assert_rate_limited(post_endpoint(server.url, key, -1))
    # The budget is the user's, not the server's: another user is untouched.
    response = post_endpoint(server.url, other, 0)
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "99"
