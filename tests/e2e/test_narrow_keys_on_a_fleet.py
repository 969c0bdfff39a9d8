"""Keys as narrow as their job, on 4 gunicorn workers with PostgreSQL and Redis.

Permissions per resource, a key's own rate limit counted exactly across workers, disable
and enable reaching the next request on every worker, and allowed networks checked against
the address a connection really comes from (127.0.0.2 and 127.0.0.3 on the loopback).
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
import requests
from e2e_support import POSTGRES_ONLY, TIMEOUT, UNLIMITED_ENV, key_header, run_concurrently

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis, POSTGRES_ONLY]


@pytest.fixture
def fleet(gunicorn, database_url, redis_url):
    limits = {"FLASK_ROLE_RATE_LIMITS": '{"standard": "100 per minute", '
              '"premium": "500 per minute", "admin": "1000 per minute"}'}  # fmt: skip
    env = {"FLASK_RATELIMIT_STORAGE_URI": redis_url, **UNLIMITED_ENV, **limits}
    return gunicorn(database_url, workers=4, env=env)


def call(server, key, path="/api/me", method="GET"):
    answer = requests.request(method, server.url + path, headers=key_header(key), timeout=TIMEOUT)
    code = answer.json()["error"]["code"] if answer.status_code >= 400 else None
    return answer.status_code, code, answer


def from_address(server, key, source: str) -> tuple[int, dict]:
    """GET /api/me over a connection from ``source``, a loopback address of this host."""
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(
        url.hostname, url.port, timeout=TIMEOUT, source_address=(source, 0)
    )
    try:
        connection.request("GET", "/api/me", headers=key_header(key))
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_a_restricted_key_on_a_fleet(fleet, factory):
    user = factory.user()
    other_id, _ = factory.key(user, "Other")
    _, key = factory.key(user, access="restricted", permissions="endpoint=write,keys=read")
    for _ in range(4):  # whichever worker answers
        assert call(fleet, key, "/api/endpoint", "POST")[0] == 200
        assert call(fleet, key, "/api/keys")[0] == 200
        status, code, answer = call(fleet, key, f"/api/keys/{other_id}/revoke", "POST")
        assert (status, code) == (403, "forbidden")
        assert "keys" in answer.json()["error"]["message"]
        assert call(fleet, key, "/api/audit")[:2] == (403, "forbidden")


def test_a_keys_own_limit_is_exact_across_workers_and_spares_its_owners_budget(fleet, factory):
    user = factory.user()
    _, limited = factory.key(user, "Limited", rate_limit="5 per minute")
    _, other = factory.key(user, "Other")
    answers = run_concurrently([lambda: call(fleet, limited)[:2]] * 8, threads=8)
    assert sorted(answers) == [(200, None)] * 5 + [(429, "rate_limited")] * 3
    status, _, answer = call(fleet, other)
    assert status == 200
    assert answer.headers["X-RateLimit-Remaining"] == str(100 - 5 - 1)


def test_disable_and_enable_reach_the_next_request_on_every_worker(fleet, factory):
    user = factory.user()
    key_id, key = factory.key(user, "Paused")
    _, manager = factory.key(user, "Manager")
    # Every worker admits it first (and its record is cached in Redis).
    assert set(run_concurrently([lambda: call(fleet, key)[:2]] * 16, threads=8)) == {(200, None)}
    assert call(fleet, manager, f"/api/keys/{key_id}/disable", "POST")[0] == 200
    answers = set(run_concurrently([lambda: call(fleet, key)[:2]] * 16, threads=8))
    assert answers == {(401, "disabled_api_key")}
    assert call(fleet, manager, f"/api/keys/{key_id}/enable", "POST")[0] == 200
    assert set(run_concurrently([lambda: call(fleet, key)[:2]] * 16, threads=8)) == {(200, None)}


def test_allowed_networks_are_checked_against_the_connections_address(fleet, factory):
    _, key = factory.key(factory.user(), allowed_networks=["127.0.0.2/32"])
    for _ in range(4):
        assert from_address(fleet, key, "127.0.0.2")[0] == 200
        status, body = from_address(fleet, key, "127.0.0.3")
        assert status == 403
        assert body["error"] == {
            "code": "address_not_allowed",
            "message": "This key may not be used from 127.0.0.3.",
        }
