"""Request size, the access log and security headers on a real gunicorn.

A body over ``MAX_CONTENT_LENGTH`` (1 MiB) is a 413 in the API's JSON shape, however it is
sent. The log shows method, path, status and time for every request, and never a header
value, a query string, a body, a password or a key, even one pasted into the URL or into a
malformed request that gunicorn's error log quotes: a key there is ``ck_[redacted]``.
"""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from e2e_support import (
    SQLITE_ONLY,
    TIMEOUT,
    ConsoleClient,
    error_code,
    key_header,
    server_log_errors,
    wait_for,
)

from app.keys.format import generate_key

pytestmark = [pytest.mark.gunicorn, SQLITE_ONLY]

MAX_BODY = 1024 * 1024


def chunked(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """Yield ``body`` in pieces, so requests sends it chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def assert_too_large(response: requests.Response) -> None:
    """The documented JSON error for a body over the limit."""
    assert response.status_code == 413, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    assert set(response.json()["error"]) == {"code", "message"}
    assert error_code(response) == "payload_too_large"
    # Every /api answer carries the caller's budget, this one too.
    assert response.headers["X-RateLimit-Limit"] == "100"


@pytest.fixture
def served(gunicorn, database_url, factory):
    """One worker serving a database with one user and key; returns (server, user, key)."""
    user = factory.user()
    _, key = factory.key(user, "Mobile App")
    return gunicorn(database_url, workers=1), user, key


def test_body_over_one_mebibyte_is_413_json(served):
    server, _, key = served
    url = f"{server.url}/api/endpoint"
    headers = {**key_header(key), "Content-Type": "application/json"}
    with requests.Session() as http:
        exactly = json.dumps("a" * (MAX_BODY - 2)).encode()
        assert len(exactly) == MAX_BODY
        response = http.post(url, headers=headers, data=exactly, timeout=TIMEOUT)
        assert response.status_code == 200
        assert len(response.json()["received"]) == MAX_BODY - 2

        for size in (MAX_BODY + 1, 20 * MAX_BODY):
            response = http.post(url, headers=headers, data=b" " * size, timeout=TIMEOUT)
            assert_too_large(response)


def test_chunked_body_over_one_mebibyte_is_413_not_truncated(served):
    server, _, key = served
    # Valid JSON if cut at 1 MiB: a server that silently truncates answers 200 {"a": 1}.
    body = b'{"a": 1}' + b" " * (MAX_BODY + 64 * 1024)
    with requests.Session() as http:
        response = http.post(
            f"{server.url}/api/endpoint",
            headers={**key_header(key), "Content-Type": "application/json"},
            data=chunked(body),
            timeout=TIMEOUT,
        )
    assert_too_large(response)


def test_access_log_never_shows_a_key_or_a_header_value(served):
    server, user, key = served
    marker = secrets.token_hex(8)
    sentinels = {
        "user agent": f"agent-{marker}",
        "referer": f"https://referer-{marker}.example/",
        "custom header": f"probe-{marker}",
        "body": f"body-{marker}",
        "password": f"password-{marker}",
        "cookie": f"cookie-{marker}",
    }
    unknown = generate_key().value
    headers = {
        "User-Agent": sentinels["user agent"],
        "Referer": sentinels["referer"],
        "X-Probe": sentinels["custom header"],
        "Cookie": f"tracking={sentinels['cookie']}",
    }
    with requests.Session() as http:
        http.headers.update(headers)
        calls = [
            ("POST", "/api/endpoint", key_header(key), {"secret": sentinels["body"]}, 200),
            ("GET", f"/api/me?api_key={key}", key_header(key), None, 200),
            ("GET", f"/api/endpoint?key={key}&X-API-Key={key}", {}, None, 401),
            ("GET", "/api/me", key_header(unknown), None, 401),
            ("GET", "/api/me", key_header(key[:-1] + ("x" if key[-1] != "x" else "y")), None, 401),
            ("POST", "/api/endpoint", key_header(key), None, 413),
        ]
        for method, path, extra, body, expected in calls:
            data = b" " * (MAX_BODY + 1) if expected == 413 else None
            response = http.request(
                method,
                server.url + path,
                headers=extra,
                json=body,
                data=data,
                timeout=TIMEOUT,
            )
            assert response.status_code == expected, (path, response.text[:200])
    with ConsoleClient(server.url) as console:
        assert console.submit_login(user.email, sentinels["password"]).status_code == 422
        console.login(user.email, user.password)

    def logged_everything() -> str | None:
        log = server.log()
        return log if log.count('"GET /en/api-keys HTTP/1.1" 200') >= 1 else None

    log = wait_for(logged_everything, timeout=10, what="the access log lines")
    # What the log is for: method, path (no query string), status, time.
    for line in (
        '"POST /api/endpoint HTTP/1.1" 200 ',
        '"GET /api/me HTTP/1.1" 200 ',
        '"GET /api/endpoint HTTP/1.1" 401 ',
        '"GET /api/me HTTP/1.1" 401 ',
        '"POST /api/endpoint HTTP/1.1" 413 ',
        '"POST /en/login HTTP/1.1" 422 ',
    ):
        assert line in log, f"no access log line {line!r}:\n{log[-3000:]}"
    # What it must never hold.
    secret_part = key.split("_", 2)[2]
    assert key not in log
    assert secret_part not in log
    assert unknown not in log and unknown.split("_", 2)[2] not in log
    for what, value in sentinels.items():
        assert marker not in log, f"the {what} ({value}) is in the log:\n{log[-3000:]}"
    assert "api_key=" not in log and "?key=" not in log
    assert not server_log_errors(log), log[-3000:]


def send_raw(url: str, request: str) -> str:
    """Send ``request`` as is (no client library sends it); return the answer's status line."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=TIMEOUT) as sock:
        sock.sendall(request.encode("latin-1"))
        return sock.recv(1024).decode("latin-1").split("\r\n", 1)[0]


def test_no_key_reaches_the_log_from_a_url_or_a_malformed_request(gunicorn, database_url, factory):
    # At debug level gunicorn logs more of each request (its path, before the app runs).
    server = gunicorn(database_url, workers=1, env={"GUNICORN_LOGLEVEL": "debug"})
    _, key = factory.key(factory.user())
    encoded = "ck%5F" + key[3:]  # as a client's over-eager URL encoder might send it
    with requests.Session() as http:
        for path, expected in [
            (f"/api/me?api_key={key}", 200),
            (f"/api/keys/{key}", 404),
            (f"/{encoded}", 404),
        ]:
            response = http.get(server.url + path, headers=key_header(key), timeout=TIMEOUT)
            assert response.status_code == expected, path
    malformed = {
        "bad HTTP version": f"GET /api/keys/{key} HTTP/9.9\r\nHost: a\r\n\r\n",
        "no HTTP version": f"GET /api/keys/{key}\r\nHost: a\r\n\r\n",
        "encoded key, no version": f"GET /api/keys/{encoded}\r\nHost: a\r\n\r\n",
        "key glued to the method": f"GET{key} /api/me HTTP/1.1\r\nHost: a\r\n\r\n",
        "control character": f"GET /api/me HTTP/1.1\r\nHost: a\r\nX-API-Key: \x01{key}\r\n\r\n",
        "bad header name": f"GET /api/me HTTP/1.1\r\nHost: a\r\nX-Key({key}): 1\r\n\r\n",
        "header without a colon": f"GET /api/me HTTP/1.1\r\nHost: a\r\nX-API-Key {key}\r\n\r\n",
        "over-long header": (
            f"GET /api/me HTTP/1.1\r\nHost: a\r\nX-API-Key: {key} {'a' * 9000}\r\n\r\n"
        ),
    }
    for case, request in malformed.items():
        status_line = send_raw(server.url, request)
        assert status_line.startswith("HTTP/1.1 4"), (case, status_line)

    def logged_everything() -> str | None:
        log = server.log()
        return log if log.count("Invalid request from") >= len(malformed) else None

    log = wait_for(logged_everything, timeout=10, what="the error log lines")
    for leak in (key, key[16:48], encoded):
        assert leak not in log, f"{leak!r} is in the log:\n{log[-3000:]}"
    # Redacted, not dropped: the lines still say what happened, and where.
    for line in (
        '"GET /api/me HTTP/1.1" 200 ',
        '"GET /api/keys/ck_[redacted] HTTP/1.1" 404 ',
        '"GET /ck_[redacted] HTTP/1.1" 404 ',
        "Invalid HTTP request line: 'GET /api/keys/ck_[redacted]'",
        "Invalid HTTP method: 'GETck_[redacted]'",
        "Invalid HTTP header name: 'X-Key(ck_[redacted])'",
        "Invalid HTTP Header: 'X-API-Key ck_[redacted]'",
    ):
        assert line in log, f"no log line {line!r}:\n{log[-3000:]}"
    assert not server_log_errors(log), log[-3000:]


def test_security_headers_on_every_answer(served):
    server, _, key = served
    with requests.Session() as http:
        answers = [
            http.post(f"{server.url}/api/endpoint", headers=key_header(key), timeout=TIMEOUT),
            http.get(f"{server.url}/api/me", timeout=TIMEOUT),
            http.get(f"{server.url}/healthz", timeout=TIMEOUT),
            http.get(f"{server.url}/login", timeout=TIMEOUT),
            http.get(f"{server.url}/no-such-page", timeout=TIMEOUT),
        ]
    for response in answers:
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        # Plain HTTP with no trusted proxy: no HSTS (it is only for HTTPS answers).
        assert "Strict-Transport-Security" not in response.headers
    assert [response.status_code for response in answers] == [200, 401, 200, 200, 404]
