"""Real servers a test starts on a free port: gunicorn serving the app, and redis-server."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import PROJECT_ROOT

from support import workers
from support.apps import BASE_CONFIG

# Ports for the suite's servers: below the kernel's ephemeral range, so no outgoing
# connection takes one between our check and the server's bind, and split between the
# parallel workers (tests/support/workers.py), so no two workers pick the same one.
PORTS = range(20_000, 32_768)


def free_port() -> int:
    """A TCP port nobody listens on right now, from this worker's own share of ``PORTS``."""
    ports = workers.share(PORTS)
    for port in random.sample(ports, k=min(len(ports), 200)):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {ports}")


@dataclass
class LiveServer:
    """A real gunicorn serving the app, with its log file."""

    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        """Everything gunicorn and the app wrote so far (access log included)."""
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Stop gunicorn (gracefully by default) and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def launch_gunicorn(
    database_url: str,
    log_dir: Path,
    workers: int = 1,
    env: dict | None = None,
    port: int | None = None,
) -> LiveServer:
    """Start gunicorn on ``database_url`` with the project's config; do not wait for it.

    ``port`` starts it again where a stopped one served (a free port otherwise).
    """
    port = port or free_port()
    log_path = log_dir / f"gunicorn-{port}-{time.monotonic_ns()}.log"
    environment = {
        **os.environ,
        "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
        # The test's own app makes the keys: the server shares its secret (and so its
        # KEY_VERIFIER_SECRET), as every host of one deployment must.
        "FLASK_SECRET_KEY": BASE_CONFIG["SECRET_KEY"],
        "FLASK_RATELIMIT_KEY_PREFIX": BASE_CONFIG["RATELIMIT_KEY_PREFIX"],
        "FLASK_BCRYPT_ROUNDS": "4",
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "gunicorn", "wsgi:app",
        "--config", str(PROJECT_ROOT / "gunicorn.conf.py"),
        "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=environment, stdout=log_file, stderr=log_file
        )
    return LiveServer(f"http://127.0.0.1:{port}", process, log_path)


# A guard against a server that never comes up, not a speed goal: on a loaded shared
# machine, a preloaded app with several workers has been seen to take over 30 s to boot.
START_TIMEOUT = 120.0


def wait_until_serving(server: LiveServer, timeout: float = START_TIMEOUT) -> None:
    """Wait for ``/livez`` to answer, or fail with gunicorn's output."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.log()}")
        try:
            if requests.get(f"{server.url}/livez", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            # Refused, or bound by the master while the workers still boot (a read timeout).
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer within {timeout}s:\n{server.log()}")


class RedisProcess:
    """A ``redis-server`` of one test's own, on a free port, that the test may kill."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Its ``redis://`` URL (database 0: the server is the test's alone)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        """A ``redis.Redis`` client for it (close it when done)."""
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self, timeout: float = 10) -> None:
        """Start it (again, on the same port) without persistence, and wait for PONG."""
        import redis

        command = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited:\n{self.log_path.read_text()}")
            connection = self.client()
            try:
                if connection.ping():
                    return
            except redis.ConnectionError:
                pass
            finally:
                connection.close()
            time.sleep(0.05)
        pytest.fail(f"redis-server did not answer within {timeout}s")

    def kill(self) -> None:
        """Kill it at once (SIGKILL): no goodbye to its clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
