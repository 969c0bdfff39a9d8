"""Debian's nginx, run by a test with the site in ``deploy/nginx.conf``, and clients for it.

The site file is used as written; only what must differ on a test machine is replaced
(ports, the upstreams' ports, certificate and log paths, the host name), and each
replacement must find its text, so the test can never drift from the file it checks.
"""

from __future__ import annotations

import getpass
import http.client
import json
import shutil
import signal
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app import PROJECT_ROOT

from support import services
from support.servers import free_port

SITE = PROJECT_ROOT / "deploy" / "nginx.conf"
HOST = "chameleon.test"  # the site's server_name on the test machine
TIMEOUT = 30


def nginx_binary() -> str:
    """Where nginx is (Debian installs it in /usr/sbin); skip, or fail under CI, if absent."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        services.missing("nginx: install Debian's nginx package (apt-get install nginx)")
    if shutil.which("openssl") is None:
        services.missing("openssl: install Debian's openssl package (for a test certificate)")
    return found


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for ``HOST`` and its key, made by the openssl command line."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def replace(text: str, old: str, new: str) -> str:
    """``text`` with every ``old`` replaced; fail if the site file no longer has ``old``."""
    assert old in text, f"deploy/nginx.conf no longer contains {old!r}"
    return text.replace(old, new)


@dataclass
class Nginx:
    """One nginx master (and worker) serving the site on free loopback ports."""

    folder: Path
    upstream_port: int
    cert: Path
    key: Path
    api_upstream_port: int | None = None  # the API's own pool; the same server when None
    http_port: int = field(default_factory=free_port)
    https_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def access_log(self) -> Path:
        """The site's access log."""
        return self.folder / "access.log"

    def config(self) -> str:
        """A whole nginx.conf: the test's process settings around the deploy site file."""
        site = SITE.read_text()
        site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
        site = replace(site, "listen 80", f"listen 127.0.0.1:{self.http_port}")
        site = replace(site, "listen 443", f"listen 127.0.0.1:{self.https_port}")
        site = replace(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{self.upstream_port};")
        api_port = self.api_upstream_port or self.upstream_port
        site = replace(site, "server 127.0.0.1:8001;", f"server 127.0.0.1:{api_port};")
        live = "/etc/letsencrypt/live/keys.example.com"
        site = replace(site, f"{live}/fullchain.pem", str(self.cert))
        site = replace(site, f"{live}/privkey.pem", str(self.key))
        site = replace(site, "keys.example.com", HOST)
        site = replace(site, "/var/log/nginx/chameleon.access.log", str(self.access_log))
        site = replace(site, "/var/log/nginx/chameleon.error.log", str(self.folder / "error.log"))
        temp = "\n".join(
            f"    {kind}_temp_path {self.folder / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            f"user {getpass.getuser()};\nworker_processes 1;\n"
            f"pid {self.folder / 'nginx.pid'};\nerror_log {self.folder / 'error.log'} info;\n"
            "events { worker_connections 512; }\n"
            f"http {{\n    default_type application/octet-stream;\n    access_log off;\n"
            f"{temp}\n{site}\n}}\n"
        )

    def start(self) -> None:
        """Write the config, start nginx in the foreground, wait until it accepts."""
        conf = self.folder / "nginx.conf"
        conf.write_text(self.config())
        with (self.folder / "nginx.out").open("wb") as output:
            self.process = subprocess.Popen(
                [nginx_binary(), "-p", str(self.folder), "-c", str(conf), "-g", "daemon off;"],
                stdout=output, stderr=output,
            )  # fmt: skip
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"nginx exited:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"nginx did not listen within {TIMEOUT}s:\n{self.log()}")

    def log(self) -> str:
        """What nginx wrote: its output and its error log."""
        paths = (self.folder / "nginx.out", self.folder / "error.log")
        return "\n".join(path.read_text(errors="replace") for path in paths if path.exists())

    def stop(self) -> None:
        """Stop nginx at once (SIGTERM) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(TIMEOUT)


@dataclass
class Answer:
    """What came back: status, headers, body."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        """The body as JSON."""
        return json.loads(self.body)


class _Connection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 from a chosen source address, naming ``HOST`` (SNI and Host)."""

    def __init__(self, port: int, source: str, tls: ssl.SSLContext, server_name: str) -> None:
        super().__init__(server_name, port, timeout=TIMEOUT, source_address=(source, 0))
        self.tls = tls

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout, self.source_address)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


class Client:
    """A client of the proxy at one loopback address (127.0.0.2 is as good as the internet)."""

    def __init__(
        self,
        nginx: Nginx,
        source: str,
        server_name: str = HOST,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.nginx = nginx
        self.source = source
        self.server_name = server_name
        self.tls = tls or ssl.create_default_context(cafile=str(nginx.cert))

    def connection(self) -> _Connection:
        """A new HTTPS connection to the proxy, from this client's address."""
        return _Connection(self.nginx.https_port, self.source, self.tls, self.server_name)

    def request(
        self, method: str, path: str, headers: dict | None = None, body: bytes | None = None
    ) -> Answer:
        """One request over HTTPS on a connection of its own."""
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()

    def plain(self, path: str, host: str = HOST) -> Answer:
        """One plain-HTTP GET to the proxy's port 80 (its redirect), naming ``host``."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.nginx.http_port, timeout=TIMEOUT, source_address=(self.source, 0)
        )
        try:
            connection.request("GET", path, headers={"Host": host})
            response = connection.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            connection.close()
