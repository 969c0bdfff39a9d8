"""The app behind the nginx site in ``deploy/nginx.conf``, as it is deployed.

Debian's nginx ends TLS on a free loopback port and proxies to a real gunicorn (one sync
worker, ``TRUSTED_PROXY_COUNT=1``). Clients connect from 127.0.0.2 and up, so each test is
a different client address, as far as anyone can tell, from the proxy's own 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_support import key_header, key_id_of, wait_for, wrong_secret_for
from nginx_support import HOST, Client, Nginx, nginx_binary, self_signed_certificate

from app import create_app
from app.config import DEFAULTS

from support.apps import BASE_CONFIG, dispose_engines
from support.databases import copy_sqlite
from support.factory import Factory
from support.servers import LiveServer, launch_gunicorn, wait_until_serving

pytestmark = pytest.mark.gunicorn

SERVER_ENV = {
    "FLASK_TRUSTED_PROXY_COUNT": "1",
    "FLASK_FAILED_KEY_RATE_LIMIT": "3 per minute",
    "FLASK_FAILED_KEY_RATE_LIMIT_PER_KEY": "1000 per minute",
}
# Slow requests must be cut off within this (the site says 10 s; nginx's default is 60 s).
CUT_OFF_WITHIN = 30


@dataclass
class Site:
    """gunicorn behind nginx, and a factory of users and keys on the server's database."""

    nginx: Nginx
    server: LiveServer
    factory: Factory

    def client(self, source: str) -> Client:
        """A client of the proxy connecting from ``source`` (a loopback address)."""
        return Client(self.nginx, source)

    def key(self) -> str:
        """A new user's key."""
        return self.factory.key(self.factory.user())[1]


@pytest.fixture(scope="module")
def site(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One gunicorn and its nginx for the whole module (each test uses its own addresses)."""
    nginx_binary()
    folder = tmp_path_factory.mktemp("nginx-proxy")
    database_url = copy_sqlite(sqlite_template, folder / "app.sqlite3")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    server = launch_gunicorn(database_url, folder, 1, SERVER_ENV)
    nginx = Nginx(folder, int(server.url.rsplit(":", 1)[1]), *self_signed_certificate(folder))
    try:
        wait_until_serving(server)
        nginx.start()
        yield Site(nginx, server, Factory(app))
    finally:
        nginx.stop()
        server.stop()
        dispose_engines(app)


def test_each_client_address_has_its_own_budget_and_a_spoofed_one_is_not_believed(site):
    key = site.key()
    guess = key_header(wrong_secret_for(key_id_of(key)))
    guesser, neighbour = site.client("127.0.0.2"), site.client("127.0.0.3")
    assert [guesser.request("GET", "/api/me", guess).status for _ in range(3)] == [401] * 3
    assert guesser.request("GET", "/api/me", guess).status == 429
    # Claiming to be someone else moves the guesser into no other budget...
    spoofed = {**guess, "X-Forwarded-For": "127.0.0.3"}
    assert guesser.request("GET", "/api/me", spoofed).status == 429
    # ...and claiming to be the guesser puts nobody into the guesser's.
    blamed = {**guess, "X-Forwarded-For": "127.0.0.2"}
    assert neighbour.request("GET", "/api/me", blamed).status == 401


def test_the_client_address_reaches_last_used_ip_and_the_audit_log(site):
    user = site.factory.user()
    key_id, key = site.factory.key(user)
    other_id, _ = site.factory.key(user)
    spoofed = {**key_header(key), "X-Forwarded-For": "203.0.113.9"}
    client = site.client("127.0.0.4")
    assert client.request("GET", "/api/me", spoofed).status == 200

    def last_used_ip():
        keys = client.request("GET", "/api/keys", key_header(key)).json()["keys"]
        return next(row["last_used_ip"] for row in keys if row["id"] == key_id)

    assert wait_for(last_used_ip, 10, "the key's use to be recorded") == "127.0.0.4"

    revoked = site.client("127.0.0.5").request("POST", f"/api/keys/{other_id}/revoke", spoofed)
    assert revoked.status == 200, revoked.body
    events = client.request("GET", "/api/audit", key_header(key)).json()["events"]
    revocation = next(event for event in events if event["action"] == "key.revoked")
    assert revocation["target"] == f"key:{other_id}"
    assert revocation["ip"] == "127.0.0.5"


def test_the_session_cookie_is_secure_behind_tls(site):
    answer = site.client("127.0.0.6").request("GET", "/en/login")
    assert answer.status == 200
    cookies = answer.headers.get_all("Set-Cookie") or []
    session = [cookie for cookie in cookies if cookie.startswith("session=")]
    assert session, cookies
    assert all("; Secure" in cookie for cookie in session), session
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def test_metrics_are_not_served_through_the_proxy_to_an_outside_client(site):
    outsider = site.client("127.0.0.7")
    assert outsider.request("GET", "/metrics").status == 404
    assert outsider.request("GET", "/metrics", {"X-Forwarded-For": "127.0.0.1"}).status == 404
    inside = site.client("127.0.0.1").request("GET", "/metrics")
    assert inside.status == 200
    assert b"chameleon_http_requests_total" in inside.body


def test_slow_clients_hold_no_worker_and_are_cut_off_though_they_keep_sending(site):
    """50 requests trickling one byte a second, on a server of one sync worker."""
    key = site.key()
    slow = [site.client("127.0.0.8").connection() for _ in range(50)]
    for connection in slow:
        connection.connect()
    sockets = [connection.sock for connection in slow]
    request = b"GET /api/me HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\nX-Slow: " + b"a" * 200
    trickle(sockets, request[:1])  # every one of them has begun its request
    sent = 1
    with ThreadPoolExecutor(1) as pool:
        genuine = pool.submit(site.client("127.0.0.2").request, "GET", "/api/me", key_header(key))
        while not genuine.done():
            trickle(sockets, request[sent : sent + 1], pause=1)
            sent += 1
        assert genuine.result().status == 200
    # Answered while every slow request was still coming in: none of them held the worker.
    assert select.select(sockets, [], [], 0)[0] == []

    # The proxy bounds the whole of a request's headers, not each read: every slow request
    # is cut off while it is still sending (well before nginx's default of 60 s).
    cut: set = set()
    deadline = time.monotonic() + CUT_OFF_WITHIN
    while len(cut) < len(sockets) and time.monotonic() < deadline:
        trickle([sock for sock in sockets if sock not in cut], request[sent : sent + 1], pause=1)
        sent += 1
        for sock in select.select(sockets, [], [], 0)[0]:
            if sock not in cut:
                assert read_until_closed(sock) == b"", "a slow request got an answer"
                cut.add(sock)
    assert len(cut) == len(sockets), f"{len(sockets) - len(cut)} slow requests still open"
    for connection in slow:
        connection.close()


def trickle(sockets: list, byte: bytes, pause: float = 0) -> None:
    """Send ``byte`` on each socket still open (after ``pause`` seconds)."""
    time.sleep(pause)
    for sock in sockets:
        with contextlib.suppress(OSError):  # cut off by the proxy: the reading side notices
            sock.sendall(byte)


def read_until_closed(sock) -> bytes:
    """What the proxy sent before it closed the connection (a reset counts as closed)."""
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except OSError:
        pass
    return received


def test_the_proxy_takes_the_apps_largest_body_and_refuses_a_larger_one_as_the_app_would(site):
    limit = DEFAULTS["MAX_CONTENT_LENGTH"]
    headers = {**key_header(site.key()), "Content-Type": "application/json"}
    body = b'{"k": "' + b"a" * (limit - 9) + b'"}'
    assert len(body) == limit
    client = site.client("127.0.0.10")
    fits = client.request("POST", "/api/endpoint", headers, body)
    assert fits.status == 200, fits.body[:200]
    assert fits.json()["received"] == json.loads(body)

    refused = client.request("POST", "/api/endpoint", headers, body + b" ")
    assert refused.status == 413
    assert refused.headers["Content-Type"] == "application/json"
    direct = http.client.HTTPConnection("127.0.0.1", site.nginx.upstream_port, timeout=30)
    direct.request("POST", "/api/endpoint", body + b" ", headers)
    from_the_app = direct.getresponse()
    assert from_the_app.status == 413
    assert set(refused.json()["error"]) == {"code", "message"}
    assert refused.json()["error"]["code"] == json.loads(from_the_app.read())["error"]["code"]
    direct.close()
