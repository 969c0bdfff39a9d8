"""Fixtures for the whole suite.

Every test that touches the database gets a fresh one: a copy of a migrated SQLite file,
and (when ``TEST_DATABASE_URL`` is set) the same test again on a PostgreSQL database of the
suite's own, emptied before each test. Live-server tests start a real gunicorn; browser
tests drive Debian's Chromium through Playwright. A test that needs a service that is
absent skips and says which environment variable or package would enable it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

# The suite decides its own configuration: a developer's FLASK_* settings must not leak in.
for _name in list(os.environ):
    if _name.startswith("FLASK_") or _name == "DATABASE_URL":
        del os.environ[_name]

from app import PROJECT_ROOT, create_app  # noqa: E402
from app.extensions import db  # noqa: E402

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "correct horse battery"

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test secret key",
    "BCRYPT_ROUNDS": 4,
    "RATELIMIT_STORAGE_URI": "memory://",
}


def migrate_database(url: str) -> None:
    """Bring the database at ``url`` to the latest migration, as ``flask db upgrade`` does."""
    import flask_migrate

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
    dispose_engines(app)


def dispose_engines(app: Flask) -> None:
    """Close every pooled connection the app opened (the key lookup's engine too)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()
    verifier = app.extensions.get("key_verifier")
    if verifier is not None:
        verifier.lookup.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of the suite's own, migrated, dropped at the end."""
    if not TEST_DATABASE_URL:
        pytest.skip(
            "PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    server = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    name = f"chameleon_test_{os.getpid()}_{secrets.token_hex(3)}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate_database(url)
        yield url
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def empty_postgres(url: str) -> None:
    """Delete every row (and reset ids), so each test starts from an empty database."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE api_keys, users RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for one test: SQLite, then PostgreSQL when configured."""
    if request.param == "sqlite":
        path = tmp_path / "app.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture
def config_overrides() -> dict:
    """Extra settings for the ``app`` fixture; override this fixture in a test module."""
    return {}


@pytest.fixture
def app(database_url: str, config_overrides: dict) -> Iterator[Flask]:
    """The application on a fresh database, with cheap bcrypt and in-memory limits."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config_overrides})
    yield app
    dispose_engines(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (cookies kept between requests, like a browser)."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """A runner for the ``flask`` command line."""
    return app.test_cli_runner()


@dataclass(frozen=True)
class UserInfo:
    """What a test needs to know about a user it made."""

    id: int
    email: str
    password: str
    role: str


class Factory:
    """Makes users and keys through the real domain code, outside any request."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._count = 0

    def user(
        self, email: str | None = None, role: str = "standard", password: str = PASSWORD
    ) -> UserInfo:
        """Create a user and return its id, email, password and role."""
        from app import accounts

        self._count += 1
        email = email or f"user{self._count}@example.com"
        with self.app.app_context():
            user = accounts.create_user(email, password, rounds=4, role=role)
            return UserInfo(user.id, user.email, password, user.role)

    def key(self, user: UserInfo, name: str = "Test key") -> tuple[str, str]:
        """Create a key for ``user``; return its key id and the full key."""
        from app import accounts
        from app.keys import service

        with self.app.app_context():
            owner = accounts.get_user(user.id)
            row, secret = service.create_key(owner, name, rounds=4, max_active=100)
            return row.key_id, secret

    def set_role(self, user: UserInfo, role: str) -> None:
        """Change a user's role, as an admin would."""
        from app import accounts

        with self.app.app_context():
            accounts.update_user(accounts.get_user(user.id), role=role)

    def deactivate(self, user: UserInfo) -> None:
        """Deactivate a user."""
        from app import accounts

        with self.app.app_context():
            accounts.update_user(accounts.get_user(user.id), active=False)


@pytest.fixture
def factory(app: Flask) -> Factory:
    """Make users and keys in the test's database."""
    return Factory(app)


_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token the page at ``path`` gives this client's session."""
    page = client.get(path).get_data(as_text=True)
    match = _CSRF_META.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class AuthActions:
    """Sign in and out through the real forms, CSRF token included."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, user: UserInfo | None = None, *, email: str = "", password: str = ""):
        """Post the sign-in form; return the response."""
        if user is not None:
            email, password = user.email, user.password
        token = csrf_token(self.client)
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self):
        """Post the sign-out form; return the response."""
        token = csrf_token(self.client, "/api-keys")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Sign the test client in and out."""
    return AuthActions(client)


class Clock:
    """A ``time.time`` that only moves when the test says so (for rate-limit windows)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze ``time.time`` for the test; move it with ``clock.advance(seconds)``."""
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of the suite's own, flushed before and after the test."""
    if not TEST_REDIS_URL:
        pytest.skip("Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    import redis

    connection = redis.Redis.from_url(TEST_REDIS_URL)
    connection.flushdb()
    yield TEST_REDIS_URL
    connection.flushdb()
    connection.close()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator:
    """Start real gunicorns: ``gunicorn(database_url, workers=4, env={...})``."""
    servers: list[LiveServer] = []

    def start(database_url: str, workers: int = 1, env: dict | None = None) -> LiveServer:
        port = free_port()
        log_path = tmp_path / f"gunicorn-{port}.log"
        environment = {
            **os.environ,
            "FLASK_SQLALCHEMY_DATABASE_URI": database_url,
            "FLASK_SECRET_KEY": "live server secret",
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
        server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
        servers.append(server)
        wait_until_serving(server)
        return server

    yield start
    for server in servers:
        server.stop()


def wait_until_serving(server: LiveServer, timeout: float = 30) -> None:
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


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM_PATH).exists():
        pytest.skip(f"browser tests: install Debian's chromium package ({CHROMIUM_PATH} missing)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@dataclass(frozen=True)
class ConsoleSite:
    """A real gunicorn serving the console, and a user who can sign in to it."""

    url: str
    user: UserInfo
    server: LiveServer


@pytest.fixture
def console_site(database_url: str, gunicorn, factory: Factory) -> ConsoleSite:
    """One gunicorn worker on this test's database, with a standard user and no keys yet."""
    user = factory.user("browser@example.com")
    server = gunicorn(database_url, workers=1)
    return ConsoleSite(server.url, user, server)


@pytest.fixture
def browser_context(browser) -> Iterator:
    """Open Playwright contexts on the session's browser: ``browser_context(**options)``.

    Each context has short timeouts (a console page answers in milliseconds) and is closed
    when the test ends.
    """
    contexts = []

    def open_context(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(5_000)
        context.set_default_navigation_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


# --- End-to-end tests (tests/e2e): services a test may break on purpose -----------------
#
# A redis-server of the test's own, and a TCP proxy in front of PostgreSQL, so a test can
# take the limiter storage or the database away (and bring it back) without touching the
# machine's own Redis on 6379 or its PostgreSQL.

_E2E_DIR = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL half of every end-to-end test ``postgres``, the other half not."""
    for item in items:
        if _E2E_DIR not in Path(str(item.fspath)).parents:
            continue
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


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


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A private, running redis-server (never the machine's 6379), killed at the end."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server binary (Debian package redis-server)")
    server = RedisProcess(tmp_path / "redis-server.log")
    server.start()
    yield server
    server.kill()


class TcpProxy:
    """Forward a local port to ``upstream``; ``cut()`` drops every connection and the port.

    It stands in for a database server that goes away and comes back, without touching
    the machine's real server.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Listen (on the same port as before, after a ``cut()``) and forward."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept, listener)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut() closed the listener
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
            self._spawn(self._pump, client, server)
            self._spawn(self._pump, server, client)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Refuse new connections and break every open one, as a dead server would."""
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        for sock in sockets:
            sock.close()


@pytest.fixture
def tcp_proxy() -> Iterator[Callable[[tuple[str, int]], TcpProxy]]:
    """Start TCP proxies in front of a server, as ``tcp_proxy((host, port))``; cut at the end."""
    proxies: list[TcpProxy] = []

    def start(upstream: tuple[str, int]) -> TcpProxy:
        proxy = TcpProxy(upstream)
        proxy.start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.cut()
