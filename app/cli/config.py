"""``flask config check``: the configuration as the server loads it, before a deploy.

One line per setting, ``ok`` or what is wrong, then whether the database, the rate-limit
storage (Redis) and the mail server answer. Exits 1 naming each setting that is wrong or
each service that does not answer. A setting the app cannot even start with stops this
command as it stops the server: one line naming each (app/config.py).
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterator

import click
from flask import Config, current_app
from flask.cli import AppGroup
from sqlalchemy import make_url, text

from app.config_checks import checks
from app.extensions import db, limiter

config_cli = AppGroup("config", help="Check the configuration.")

# A secret key shorter than this is accepted, but guessable keys forge sessions.
MIN_SECRET_KEY_LENGTH = 32
SERVICE_TIMEOUT_SECONDS = 5
OK = "ok"


@config_cli.command("check")
def check() -> None:
    """Check every setting, and that the database, Redis and mail answer."""
    bad = []
    for name, outcome in _outcomes():
        click.echo(f"{name}: {outcome}")
        if not outcome.startswith((OK, "warning")):
            bad.append(name)
    if bad:
        raise click.ClickException(f"{len(bad)} to fix: {', '.join(bad)}")


def _outcomes() -> Iterator[tuple[str, str]]:
    config = current_app.config
    yield "SECRET_KEY", _secret_key(config["SECRET_KEY"])
    for name, check in checks(config).items():
        yield name, check(config[name]) or OK
    yield "database", _database()
    yield "RATELIMIT_STORAGE_URI", _limiter_storage(config["RATELIMIT_STORAGE_URI"])
    yield "MAIL_SERVER", _mail(config)


def _secret_key(secret: str) -> str:
    if len(secret) < MIN_SECRET_KEY_LENGTH:
        return (
            f"warning: {len(secret)} characters; use {MIN_SECRET_KEY_LENGTH} or more, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return OK


def _failure(error: Exception) -> str:
    # The first line only: drivers add hints and SQL on the next ones.
    first_line = (str(error).strip().splitlines() or [""])[0]
    return f"does not answer: {type(error).__name__}: {first_line}"


def _database() -> str:
    where = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string()
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error is the answer we report
        return f"{_failure(error)} ({where})"
    return f"{OK} ({where})"


def _limiter_storage(uri: str) -> str:
    where = re.sub(r"//[^/@]*@", "//***@", uri)  # never a password
    if uri.startswith("memory://"):
        return f"{OK} ({where}: budgets in this process, one worker only)"
    try:
        answered = limiter.storage.check()
    except Exception as error:  # as above
        return f"{_failure(error)} ({where})"
    return f"{OK} ({where})" if answered else f"does not answer ({where})"


def _mail(config: Config) -> str:
    host = config.get("MAIL_SERVER")
    if not host:
        return f"{OK} (not set: each message is written to standard output)"
    port = int(config.get("MAIL_PORT") or (465 if config.get("MAIL_USE_SSL") else 25))
    smtp = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    try:
        with smtp(host, port, timeout=SERVICE_TIMEOUT_SECONDS) as server:
            server.noop()
    except (OSError, smtplib.SMTPException) as error:
        return f"{_failure(error)} ({host}:{port})"
    return f"{OK} ({host}:{port})"
