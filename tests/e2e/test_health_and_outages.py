"""``/livez``, ``/readyz``, ``/healthz``, and what callers see when a dependency is away.

The database is made unreachable two ways, never by touching the machine's PostgreSQL:
a URL pointing at a port nobody listens on, and a TCP proxy in front of the real server
that the test cuts and restores. Under /api the answer is then 503 ``unavailable`` with
``Retry-After``, never a 500 and never a 200 (not even for a key a worker has already
verified); the console answers a friendly 503 page; ``/readyz`` and ``/healthz`` say 503.

Redis (the rate-limit storage) away is not an outage: the API counts budgets in each
process, so ``/readyz`` stays 200 ("degraded") and ``/healthz`` 200, naming Redis as down
and the fallback as on from the very first probe. The API under a Redis outage is covered
in ``test_limiter_storage_down.py``.
"""

from __future__ import annotations

import pytest
import requests
from e2e_support import (
    POSTGRES_ONLY,
    TIMEOUT,
    ConsoleClient,
    key_header,
    key_id_of,
    server_log_errors,
    wait_for,
)
from sqlalchemy import make_url

from app.keys.format import generate_key
from app.version import __version__

from support.servers import free_port

pytestmark = pytest.mark.gunicorn

# Words that would betray internals in an answer meant for the outside world.
INTERNALS = ("traceback", "psycopg", "sqlalchemy", "operationalerror", "5432", "postgres")


def healthz(base_url: str) -> requests.Response:
    """The detailed health check."""
    return requests.get(f"{base_url}/healthz", timeout=TIMEOUT)


def readyz(base_url: str) -> requests.Response:
    """The readiness check."""
    return requests.get(f"{base_url}/readyz", timeout=TIMEOUT)


def assert_unavailable_json(response: requests.Response) -> None:
    """The documented 503: JSON ``unavailable``, ``Retry-After``, nothing internal."""
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) >= 1
    assert not any(word in response.text.lower() for word in INTERNALS), response.text


def assert_friendly_503_page(response: requests.Response) -> None:
    """The console's 503: an HTML page for people, nothing internal."""
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Temporarily unavailable" in response.text
    assert "<html" in response.text.lower()
    assert not any(word in response.text.lower() for word in INTERNALS), response.text


@pytest.mark.redis
def test_healthz_up_with_database_and_redis(gunicorn, database_url, redis_url):
    server = gunicorn(database_url, workers=2, env={"FLASK_RATELIMIT_STORAGE_URI": redis_url})
    response = healthz(server.url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "up", "rate_limit_storage": "up"},
        "down": [],
        "rate_limit_fallback": "off",
        "version": __version__,
    }
    assert readyz(server.url).json() == {"status": "ok"}
    assert requests.get(f"{server.url}/livez", timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_redis_unreachable_from_the_start_is_degraded_not_down(gunicorn, database_url, factory):
    _, key = factory.key(factory.user())
    dead = f"redis://127.0.0.1:{free_port()}/0"
    server = gunicorn(database_url, workers=1, env={"FLASK_RATELIMIT_STORAGE_URI": dead})

    # The very first probe, before any API request, finds Redis away and the fallback on.
    health = healthz(server.url)
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["status"] == "degraded"
    assert body["checks"] == {"database": "up", "rate_limit_storage": "down"}
    assert body["down"] == ["rate_limit_storage"]
    assert body["rate_limit_fallback"] == "on"
    assert body["version"] == __version__

    ready = readyz(server.url)
    assert ready.status_code == 200
    assert ready.json() == {"status": "degraded"}
    # And the API serves, within its budget, meanwhile.
    answer = requests.get(f"{server.url}/api/me", headers=key_header(key), timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.headers["X-RateLimit-Limit"] == "100"
    assert not server_log_errors(server.log()), server.log()[-3000:]


@pytest.mark.redis  # a redis-server of its own: the machine's Redis is never touched
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_redis_lost_and_back_turns_the_fallback_on_and_off(gunicorn, database_url, own_redis):
    server = gunicorn(database_url, workers=1, env={"FLASK_RATELIMIT_STORAGE_URI": own_redis.url})
    assert healthz(server.url).json()["rate_limit_fallback"] == "off"

    own_redis.kill()
    health = healthz(server.url)
    assert health.status_code == 200
    assert health.json()["checks"]["rate_limit_storage"] == "down"
    assert health.json()["rate_limit_fallback"] == "on"
    assert readyz(server.url).status_code == 200

    own_redis.start()

    def storage_back() -> bool:
        body = healthz(server.url).json()
        return body["rate_limit_fallback"] == "off" and body["status"] == "ok"

    # The process tries Redis again once its circuit's few seconds are over.
    wait_for(storage_back, timeout=20, what="/healthz to find Redis again", interval=0.5)
    assert not server_log_errors(server.log()), server.log()[-3000:]


def test_database_unreachable_from_the_start(gunicorn):
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    server = gunicorn(dead, workers=1)

    response = healthz(server.url)
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["down"] == ["database"]
    assert int(response.headers["Retry-After"]) >= 1
    assert readyz(server.url).status_code == 503
    assert requests.get(f"{server.url}/livez", timeout=TIMEOUT).status_code == 200

    # A well-formed key must be looked up, and cannot be: 503 on every route, never 200.
    key = generate_key()
    with requests.Session() as http:
        for method, path in [
            ("POST", "/api/endpoint"),
            ("GET", "/api/endpoint"),
            ("GET", "/api/me"),
            ("GET", "/api/keys"),
            ("POST", f"/api/keys/{key.key_id}/revoke"),
            ("GET", "/api/admin/keys"),
        ]:
            response = http.request(
                method, server.url + path, headers=key_header(key.value), timeout=TIMEOUT
            )
            assert_unavailable_json(response)
        # What needs no database still answers as usual.
        response = http.get(f"{server.url}/api/me", timeout=TIMEOUT)
        assert response.status_code == 401

    with ConsoleClient(server.url) as console:
        assert console.load("/en/login").status_code == 200
        assert_friendly_503_page(console.submit_login("ada@example.com", "whatever password"))
    assert not server_log_errors(server.log()), server.log()[-3000:]


def test_database_down_answers_still_carry_rate_limit_headers(gunicorn):
    # Documented: "Every /api answer carries X-RateLimit-Limit, X-RateLimit-Remaining and
    # X-RateLimit-Reset", the 503 of an unreachable database included.
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"
    server = gunicorn(dead, workers=1)
    with requests.Session() as http:
        response = http.post(
            f"{server.url}/api/endpoint",
            headers=key_header(generate_key().value),
            timeout=TIMEOUT,
        )
    assert_unavailable_json(response)
    missing = {
        name
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
        if name not in response.headers
    }
    assert not missing, f"the 503 lacks {sorted(missing)}: {dict(response.headers)}"


@POSTGRES_ONLY
def test_database_lost_and_back_mid_run(gunicorn, database_url, factory, tcp_proxy):
    user = factory.user()
    _, key = factory.key(user, "Mobile App")
    url = make_url(database_url)
    proxy = tcp_proxy((url.host, url.port or 5432))
    through_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
    server = gunicorn(through_proxy, workers=1)
    endpoint = f"{server.url}/api/endpoint"

    console = ConsoleClient(server.url)
    http = requests.Session()
    try:
        console.login(user.email, user.password)
        for _ in range(2):  # the second one comes from the worker's verified-key cache
            response = http.post(endpoint, headers=key_header(key), timeout=TIMEOUT)
            assert response.status_code == 200
            assert response.json()["key"]["id"] == key_id_of(key)

        proxy.cut()
        # A key the worker has already verified is still not let through unasked.
        for _ in range(3):
            assert_unavailable_json(http.post(endpoint, headers=key_header(key), timeout=TIMEOUT))
        health = healthz(server.url)
        assert health.status_code == 503
        assert health.json()["down"] == ["database"]
        assert_friendly_503_page(console.http.get(f"{server.url}/en/api-keys", timeout=TIMEOUT))

        proxy.start()  # the database is back, on the same address

        def key_works_again() -> bool:
            # Until the worker's pool has connected again, each answer is still the 503.
            response = http.post(endpoint, headers=key_header(key), timeout=TIMEOUT)
            if response.status_code != 200:
                assert_unavailable_json(response)
            return response.status_code == 200

        wait_for(key_works_again, timeout=20, what="the API to recover", interval=0.2)
        assert healthz(server.url).status_code == 200
        assert console.http.get(f"{server.url}/en/api-keys", timeout=TIMEOUT).status_code == 200
    finally:
        console.close()
        http.close()
    assert not server_log_errors(server.log()), server.log()[-3000:]
