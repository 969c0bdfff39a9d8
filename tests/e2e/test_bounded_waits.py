"""Every wait is bounded: a locked table, a Redis that never answers, a client that stalls.

A store that does not answer gives a clear answer within its configured bound (503,
fallback counting) and the worker back, never a hang or a worker killed by gunicorn's
timeout. A client that stalls holds its worker until gunicorn's worker timeout replaces it:
keeping slow clients away is the buffering proxy's job (deploy/), not gunicorn's.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import closing

import psycopg
import pytest
import requests
from e2e_support import POSTGRES_ONLY, SQLITE_ONLY, TIMEOUT, ConsoleClient, key_header
from sqlalchemy import make_url

pytestmark = pytest.mark.gunicorn


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@POSTGRES_ONLY
def test_a_locked_table_gives_503_within_the_lock_timeout(gunicorn, database_url, factory):
    _, key = factory.key(factory.user())
    server = gunicorn(
        database_url,
        env={"FLASK_DATABASE_LOCK_TIMEOUT": "1", "FLASK_DATABASE_STATEMENT_TIMEOUT": "2"},
    )
    url = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(url) as migration:
        # What a migration holds while it rewrites the table.
        migration.execute("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
        answer, took = timed(
            lambda: requests.get(f"{server.url}/api/me", headers=key_header(key), timeout=TIMEOUT)
        )
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "unavailable"
        assert took < 10, took  # the lock timeout (1 s), far from gunicorn's 30
        migration.rollback()
    assert requests.get(f"{server.url}/api/me", headers=key_header(key), timeout=TIMEOUT).ok
    assert "WORKER TIMEOUT" not in server.log()


class BlackHole:
    """A TCP listener that accepts connections and never answers a byte."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def black_hole():
    hole = BlackHole()
    yield hole
    hole.close()


@SQLITE_ONLY
def test_a_redis_that_never_answers_costs_a_bounded_wait_once_per_circuit(
    gunicorn, database_url, factory, black_hole
):
    user = factory.user()
    _, key = factory.key(user)
    server = gunicorn(
        database_url,
        workers=2,
        env={"FLASK_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{black_hole.port}/0"},
    )
    durations = []
    started = time.monotonic()
    with requests.Session() as http:
        for _ in range(40):
            answer, took = timed(
                lambda: http.get(f"{server.url}/api/me", headers=key_header(key), timeout=TIMEOUT)
            )
            assert answer.status_code == 200, answer.text
            durations.append(took)
    elapsed = time.monotonic() - started
    # Redis timeouts are 0.25 s, tried twice: a request pays at most about half a second,
    # and only the first one per worker per circuit window (5 s) pays it at all.
    assert max(durations) < 2, max(durations)
    windows = int(elapsed // 5) + 1
    assert sum(took > 0.2 for took in durations) <= 2 * windows, durations

    health, took = timed(lambda: requests.get(f"{server.url}/healthz", timeout=TIMEOUT))
    assert health.status_code == 200  # degraded: the API serves without Redis
    assert health.json()["down"] == ["rate_limit_storage"]
    assert took < 2, took
    with ConsoleClient(server.url) as console:
        signed_in, took = timed(lambda: console.submit_login(user.email, user.password))
    assert signed_in.status_code == 302
    assert took < 2, took


def raw_connection(server_url: str) -> socket.socket:
    host, port = server_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=TIMEOUT)


@SQLITE_ONLY
def test_a_stalled_client_holds_its_worker_only_until_the_worker_timeout(
    gunicorn, database_url, factory
):
    _, key = factory.key(factory.user())
    server = gunicorn(database_url, env={"GUNICORN_TIMEOUT": "2"})
    stalled_body = raw_connection(server.url)
    half_headers = raw_connection(server.url)
    with closing(stalled_body), closing(half_headers):
        stalled_body.sendall(
            (
                "POST /api/endpoint HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f'X-API-Key: {key}\r\nContent-Length: 100\r\n\r\n{{"a":'
            ).encode()
        )
        half_headers.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Half")
        # The one worker waits for the rest of the body, then (its replacement) for the rest
        # of the headers; each until gunicorn replaces it. Then this request is served.
        livez = requests.get(f"{server.url}/livez", timeout=TIMEOUT)
        answers = [stalled_body.recv(65536), half_headers.recv(65536)]
    assert livez.status_code == 200
    for answer in answers:
        assert not answer.startswith(b"HTTP/1.1 2"), answer[:200]  # neither was served
    assert server.log().count("WORKER TIMEOUT") == 2
