"""What the nginx site in ``deploy/nginx.conf`` hands the app, and what it never hands over.

nginx runs in front of an upstream that answers with the headers it received, so each
test sees exactly what gunicorn would: the client's address and scheme as the proxy
states them, the request id, and no forwarding header a client made up.
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from e2e_support import wait_for
from nginx_support import HOST, Client, Nginx, nginx_binary, self_signed_certificate


class Echo(BaseHTTPRequestHandler):
    """Answers with the request headers it received, as a JSON list of pairs."""

    def do_GET(self) -> None:
        """Note the request, then echo its headers."""
        pairs = list(self.headers.items())
        self.server.received.append(pairs)
        getattr(self.server, "paths", []).append(self.path)
        body = json.dumps(pairs).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        """Quiet: the tests read nginx's log, not this one."""


@dataclass
class EchoSite:
    """The site in front of ``Echo``, and every request ``Echo`` received."""

    nginx: Nginx
    upstream: ThreadingHTTPServer
    received: list = field(default_factory=list)

    def stop_upstream(self) -> None:
        """Stop ``Echo``, as if gunicorn were down."""
        self.upstream.shutdown()
        self.upstream.server_close()


@pytest.fixture
def echo_site(tmp_path: Path) -> Iterator[EchoSite]:
    """The deploy site in nginx, proxying to ``Echo`` instead of gunicorn."""
    nginx_binary()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    upstream.received = []
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    nginx = Nginx(tmp_path, upstream.server_address[1], *self_signed_certificate(tmp_path))
    site = EchoSite(nginx, upstream, upstream.received)
    try:
        nginx.start()
        yield site
    finally:
        nginx.stop()
        site.stop_upstream()


def test_the_app_hears_about_the_client_from_the_proxy_alone(echo_site):
    claims = {
        "X-Forwarded-For": "198.51.100.1",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Ssl": "off",
        "X-Forwarded-Port": "8080",
        "X-Real-IP": "198.51.100.1",
        "Forwarded": "for=198.51.100.1;proto=http",
        "X-Request-ID": "chosen-by-the-client",
    }
    path = "/api/me?api_key=ck_pasted_into_the_url"
    answer = Client(echo_site.nginx, "127.0.0.11").request("GET", path, claims)
    pairs = [(name.lower(), value) for name, value in answer.json()]
    received = dict(pairs)
    assert len(received) == len(pairs), pairs  # no header twice
    assert received["x-forwarded-for"] == "127.0.0.11"
    assert received["x-forwarded-proto"] == "https"
    assert received["host"] == received["x-forwarded-host"] == HOST
    assert re.fullmatch(r"[0-9a-f]{32}", received["x-request-id"])
    assert not {"x-forwarded-ssl", "x-forwarded-port", "x-real-ip", "forwarded"} & set(received)

    def logged() -> str | None:
        lines = echo_site.nginx.access_log.read_text().splitlines()
        return next((line for line in lines if received["x-request-id"] in line), None)

    # The access line: the client, the path without its query string, the request id.
    line = wait_for(logged, 10, "the request's access log line")
    assert line.startswith("127.0.0.11 ")
    assert '"GET /api/me HTTP/1.1" 200 ' in line
    assert "api_key" not in line and "ck_" not in line


def test_only_the_sites_host_name_is_served_and_plain_http_goes_to_https(echo_site):
    client = Client(echo_site.nginx, "127.0.0.12")
    moved = client.plain("/en/login?next=%2F")
    assert moved.status == 301
    assert moved.headers["Location"] == f"https://{HOST}/en/login?next=%2F"
    # Another Host gets no answer at all (so no redirect to it), over HTTP or HTTPS.
    with pytest.raises(http.client.RemoteDisconnected):
        client.plain("/en/login", host="evil.example")
    with pytest.raises(http.client.RemoteDisconnected):
        client.request("GET", "/en/login", {"Host": "evil.example"})
    unchecked = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    unchecked.check_hostname = False
    unchecked.verify_mode = ssl.CERT_NONE
    stranger = Client(echo_site.nginx, "127.0.0.12", server_name="evil.example", tls=unchecked)
    with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
        stranger.request("GET", "/livez")
    assert echo_site.received == []
    assert client.request("GET", "/en/login").status == 200
    assert len(echo_site.received) == 1


def test_the_api_has_its_own_pool_with_its_own_metrics_and_health_checks(tmp_path: Path):
    nginx_binary()
    pools = {}
    for name in ("site", "api"):
        pools[name] = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        pools[name].received = []
        pools[name].paths = []
        threading.Thread(target=pools[name].serve_forever, daemon=True).start()
    nginx = Nginx(
        tmp_path,
        pools["site"].server_address[1],
        *self_signed_certificate(tmp_path),
        api_upstream_port=pools["api"].server_address[1],
    )
    try:
        nginx.start()
        client = Client(nginx, "127.0.0.1")  # inside the site's list for /metrics
        for path in (
            "/api/me",
            "/api/keys?limit=5",
            "/en/api-keys",
            "/en/login",
            "/metrics",
            "/metrics/api",
            "/livez",
            "/readyz/api",
            "/healthz/api",
            "/openapi.json",
        ):
            assert client.request("GET", path).status == 200, path
        assert Client(nginx, "127.0.0.14").request("GET", "/metrics/api").status == 404
    finally:
        nginx.stop()
        for pool in pools.values():
            pool.shutdown()
            pool.server_close()
    assert pools["api"].paths == ["/api/me", "/api/keys?limit=5", "/metrics", "/readyz", "/healthz"]
    assert pools["site"].paths == [
        "/en/api-keys",
        "/en/login",
        "/metrics",
        "/livez",
        "/openapi.json",
    ]


def test_the_api_answers_in_its_own_shape_while_the_app_is_down(echo_site):
    echo_site.stop_upstream()
    client = Client(echo_site.nginx, "127.0.0.13")
    answer = client.request("GET", "/api/me")
    assert answer.status == 503
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json()["error"]["code"] == "unavailable"
    assert answer.headers["Retry-After"] == "5"
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])
    assert client.request("GET", "/en/login").status == 502  # pages: nginx's own page
