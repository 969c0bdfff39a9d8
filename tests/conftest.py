"""Fixtures for the whole suite.

Every test that touches the database gets a fresh one: a copy of a migrated SQLite file,
and the same test again on a PostgreSQL database of the worker's own, emptied before each
test, whenever PostgreSQL is there (tests/support/services.py finds it and Redis).
Live-server tests start a real gunicorn; browser tests drive Debian's Chromium through
Playwright. A test that needs a service that is absent skips and says which environment
variable or package would enable it (under CI it fails instead). The helpers
behind these fixtures live in ``tests/support``.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

# The suite decides its own configuration: a developer's FLASK_* settings must not leak in.
for _name in list(os.environ):
    if _name.startswith("FLASK_") or _name == "DATABASE_URL":
        del os.environ[_name]

from app import create_app  # noqa: E402

from support import services, summary  # noqa: E402
from support.apps import BASE_CONFIG, dispose_engines  # noqa: E402
from support.browser import (  # noqa: E402
    ConsoleSite,
    SharedConsole,
    launch_chromium,
    new_context,
)
from support.clock import Clock  # noqa: E402
from support.databases import (  # noqa: E402
    copy_sqlite,
    empty_postgres,
    migrate_database,
    own_postgres_database,
)
from support.factory import Factory  # noqa: E402
from support.servers import (  # noqa: E402
    LiveServer,
    RedisProcess,
    launch_gunicorn,
    wait_until_serving,
)
from support.tcp_proxy import TcpProxy  # noqa: E402
from support.web import AuthActions  # noqa: E402

TEST_DATABASE_URL = services.database_url()
TEST_REDIS_URL = services.redis_url()
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
STARTED = pytest.StashKey[float]()


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
        services.missing(services.why_no_database())
    with own_postgres_database(TEST_DATABASE_URL) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for one test: SQLite, then PostgreSQL when configured."""
    if request.param == "sqlite":
        return copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "app.sqlite3")
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
def runner(app: Flask) -> FlaskCliRunner:
    """A runner for the ``flask`` command line."""
    return app.test_cli_runner()


@pytest.fixture
def factory(app: Flask) -> Factory:
    """Make users and keys in the test's database."""
    return Factory(app)


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Sign the test client in and out."""
    return AuthActions(client)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze ``time.time`` for the test; move it with ``clock.advance(seconds)``."""
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The shared Redis; the test's keys (under the suite's prefix) are removed after it."""
    if not TEST_REDIS_URL:
        services.missing(services.why_no_redis())
    services.remove_own_keys(TEST_REDIS_URL)
    yield TEST_REDIS_URL
    services.remove_own_keys(TEST_REDIS_URL)


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start real gunicorns: ``gunicorn(database_url, workers=4, env={...}, port=...)``."""
    servers: list[LiveServer] = []

    def start(
        database_url: str, workers: int = 1, env: dict | None = None, port: int | None = None
    ) -> LiveServer:
        server = launch_gunicorn(database_url, tmp_path, workers, env, port)
        servers.append(server)  # stopped at the end even if it never answers
        wait_until_serving(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def playwright():
    """Playwright, when Debian's Chromium is there to drive (never a downloaded browser)."""
    if not Path(CHROMIUM_PATH).exists():
        services.missing(f"Chromium: install Debian's chromium package ({CHROMIUM_PATH})")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    """Debian's headless Chromium, driven by Playwright."""
    browser = launch_chromium(playwright, CHROMIUM_PATH)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_with_history_cache(playwright):
    """Chromium with its back/forward cache on, as people have it (Playwright turns it off)."""
    browser = launch_chromium(playwright, CHROMIUM_PATH, back_forward_cache=True)
    yield browser
    browser.close()


@pytest.fixture
def console_site(database_url: str, gunicorn, factory: Factory) -> ConsoleSite:
    """One gunicorn worker on this test's database, with a standard user and no keys yet."""
    user = factory.user("browser@example.com")
    server = gunicorn(database_url, workers=1)
    return ConsoleSite(server.url, user, server)


@pytest.fixture(scope="module")
def console_server_env() -> dict:
    """Extra ``FLASK_*`` settings for a module's shared console; override it in the module."""
    return {}


@pytest.fixture(scope="module")
def shared_console(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, console_server_env: dict
) -> Iterator[SharedConsole]:
    """One gunicorn for a whole module of browser tests, on a SQLite database of its own.

    Starting a server costs a second or two; most browser tests only need a user of their
    own (``shared_console.site()``), not a server of their own.
    """
    folder = tmp_path_factory.mktemp("shared-console")
    database_url = copy_sqlite(sqlite_template, folder / "app.sqlite3")
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    server = launch_gunicorn(database_url, folder, 1, console_server_env)
    try:
        wait_until_serving(server)
        yield SharedConsole(server.url, server, Factory(app))
    finally:
        server.stop()
        dispose_engines(app)


@pytest.fixture
def browser_context(browser) -> Iterator:
    """Open Playwright contexts on the session's browser: ``browser_context(**options)``.

    Each context has short timeouts (a console page answers in milliseconds) and is closed
    when the test ends.
    """
    contexts = []

    def open_context(**options):
        context = new_context(browser, **options)
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


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A private, running redis-server (never the machine's 6379), killed at the end."""
    if shutil.which("redis-server") is None:
        services.missing("redis-server: install Debian's redis-server package")
    server = RedisProcess(tmp_path / "redis-server.log")
    server.start()
    yield server
    server.kill()


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


# --- The run as a whole: what each test uses, and the closing lines ---------------------

_E2E_DIR = Path(__file__).resolve().parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL half of every end-to-end test ``postgres``; note each test's services.

    The services a test uses travel with its report (from a pytest-xdist worker too) to the
    closing lines.
    """
    for item in items:
        callspec = getattr(item, "callspec", None)
        in_e2e = _E2E_DIR in Path(str(item.fspath)).parents
        if in_e2e and callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)
        item.user_properties.append((summary.PROPERTY, summary.services_of(item)))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note when the run started, for its wall time."""
    session.config.stash[STARTED] = time.monotonic()


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: printed after everything else
def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> Iterator[None]:
    """End with what ran, on which services, what skipped and why, and the wall time."""
    yield
    if hasattr(config, "workerinput"):
        return  # a pytest-xdist worker: the controller prints for every worker
    seconds = time.monotonic() - config.stash.get(STARTED, time.monotonic())
    workers = config.getoption("numprocesses", None)
    for line in summary.closing_lines(terminalreporter.stats, seconds, workers):
        terminalreporter.write_line(line)


@pytest.fixture
def bcrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """What each call to ``bcrypt.checkpw`` was asked to check (the real check still runs)."""
    import bcrypt

    calls: list[bytes] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append(password)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    return calls


# --- Mail: a real SMTP server of the suite's own ------------------------------------------


def _running_smtp_server() -> Iterator:
    from support.mail import SmtpServer

    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server() -> Iterator:
    """An SMTP server (aiosmtpd) on 127.0.0.1 keeping what it receives; ``.stop()`` it to fail."""
    yield from _running_smtp_server()


@pytest.fixture(scope="module")
def module_smtp() -> Iterator:
    """The SMTP server a module's console (a gunicorn shared by its tests) sends mail to."""
    yield from _running_smtp_server()
