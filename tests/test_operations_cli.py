"""``flask config check``, ``flask version``, and who the audit log says made a CLI key.

``config check`` prints one line per setting (ok or what is wrong), then whether the
database, the rate-limit storage and mail answer, and exits 1 naming each that is not
right. A setting the app cannot start with stops it with one line, as it stops the server.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from app import PROJECT_ROOT, create_app
from app.config_checks import checks
from app.extensions import db
from app.models import AuditEvent
from app.version import __version__

from support.apps import BASE_CONFIG, dispose_engines
from support.servers import free_port


def check(runner):
    return runner.invoke(args=["config", "check"])


def test_config_check_prints_one_line_per_setting_and_passes(app, runner):
    result = check(runner)
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    for name in checks(app.config):
        assert lines[name] == "ok", name
    assert "LOGIN_RATE_LIMIT_PER_EMAIL_ALL_ADDRESSES" in lines
    assert lines["database"].startswith("ok (")
    assert lines["RATELIMIT_STORAGE_URI"].startswith("ok (memory://")
    assert lines["MAIL_SERVER"].startswith("ok (not set")
    # The test suite's short secret key is worth a warning, not a failure.
    assert lines["SECRET_KEY"].startswith("warning: 15 characters")


@pytest.fixture
def unreachable_app(tmp_path):
    """The app configured with a database and a Redis that nobody listens for."""
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://app:pw@127.0.0.1:{free_port()}/x",
            "RATELIMIT_STORAGE_URI": f"redis://:hidden@127.0.0.1:{free_port()}/0",
        },
        instance_path=tmp_path / "instance",
    )
    yield app
    dispose_engines(app)


def test_config_check_names_each_service_that_does_not_answer(unreachable_app):
    result = check(unreachable_app.test_cli_runner())
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: 2 to fix: database, RATELIMIT_STORAGE_URI"
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert lines["database"].startswith("does not answer: OperationalError")
    assert lines["RATELIMIT_STORAGE_URI"].startswith("does not answer")
    assert "pw" not in result.stdout and "hidden" not in result.stdout


def flask_command(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``flask --app wsgi ...`` as an operator runs it, with ``env`` added."""
    environment = {**os.environ, "FLASK_SECRET_KEY": "x", **env}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_config_check_with_a_bad_setting_exits_1_with_one_line_naming_it(database_url):
    result = flask_command(
        "config", "check", FLASK_BCRYPT_ROUNDS="abc", FLASK_SQLALCHEMY_DATABASE_URI=database_url
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Configuration error: BCRYPT_ROUNDS must be a whole number from 4 to 31, not 'abc'"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_flask_version_prints_the_package_version(runner):
    result = runner.invoke(args=["version"])
    assert result.exit_code == 0
    assert result.stdout == f"chameleon-api-keys {__version__}\n"
    assert __version__ != "0+unknown"


def test_a_key_created_from_the_cli_is_attributed_to_cli(app, runner, factory):
    factory.user("ada@example.com")
    result = runner.invoke(args=["keys", "create", "ada@example.com", "--name", "Nightly"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "key.created"))
    assert (event.actor_user_id, event.actor_email) == (None, "cli")
