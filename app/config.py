"""Configuration: defaults, then ``FLASK_*`` environment variables, then test overrides.

Every setting is a Flask config key. ``DATABASE_URL`` is accepted as an alias for
``SQLALCHEMY_DATABASE_URI``. A ``SECRET_KEY`` that nobody configured is generated once
into the instance folder and reused, so sessions survive restarts on one box.

Every setting is checked before the app uses it (app/config_checks.py): a bad one stops the
app with ``ConfigError``, naming each setting and what is wrong with it.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app import logs
from app.config_checks import problems
from app.instance import make_private_folder
from app.keys.hmac_verifier import derive_secret
from app.roles import Role

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)
# Redis waits, well under a second: a Redis that accepts and never answers costs a request
# at most this (twice: one retry on a fresh connection), once per circuit window.
REDIS_TIMEOUT_SECONDS = 0.25

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,
    "RATELIMIT_STORAGE_URI": "memory://",
    # A moving window counts the exact requests of the last 60 seconds: no double burst
    # at a minute boundary, and "100 per minute" means exactly 100 in any minute.
    "RATELIMIT_STRATEGY": "moving-window",
    "RATELIMIT_KEY_PREFIX": "chameleon",
    "ROLE_RATE_LIMITS": {
        Role.STANDARD: "100 per minute",
        Role.PREMIUM: "500 per minute",
        Role.ADMIN: "1000 per minute",
    },
    "BCRYPT_ROUNDS": 12,
    "SIGNUP_ENABLED": True,
    "MAX_ACTIVE_KEYS_PER_USER": 100,
    # Keys a user may make in the console (creates and rotations together; each costs a
    # bcrypt hash). The command line is an operator's tool and is not counted.
    "KEY_CREATE_RATE_LIMIT": "20 per hour",
    "TRUSTED_PROXY_COUNT": 0,
    # Host names the app answers to (Flask's own); None answers to any.
    "TRUSTED_HOSTS": None,
    "FAILED_KEY_RATE_LIMIT": "30 per minute",
    # Wrong secrets for one key id, from any address: spreading guesses buys nothing.
    "FAILED_KEY_RATE_LIMIT_PER_KEY": "10 per minute",
    # None: derived from SECRET_KEY (app/keys/hmac_verifier.py). Never stored in the database.
    "KEY_VERIFIER_SECRET": None,
    # Earlier KEY_VERIFIER_SECRETs, still accepted during a rotation; a verifier made under
    # one is rewritten under the current secret, with no bcrypt (docs/operations.md).
    "KEY_VERIFIER_SECRET_FALLBACKS": [],
    # While Redis is away each process counts 1/N of every budget, so a host of N
    # processes never grants more than the budget. None: gunicorn's worker count (given
    # to each worker by gunicorn.conf.py, post_worker_init), else 1.
    "RATELIMIT_FALLBACK_DIVISOR": None,
    # The console's locales; the first is the fallback (app/i18n).
    "LANGUAGES": ["en", "es", "de", "zh"],
    # How long per-key usage counts may wait in a process before they are written (s).
    "USAGE_FLUSH_SECONDS": 10,
    # Who may read /metrics (others get 404): networks as "address/prefix".
    "METRICS_ALLOWED_NETWORKS": ["127.0.0.1/32", "::1/128"],
    "LOGIN_RATE_LIMIT_PER_ADDRESS": "20 per minute",
    # Failed sign-ins per email from one address (the name predates that), and per email
    # from all addresses together, where an address the user signed in from is exempt.
    "LOGIN_RATE_LIMIT_PER_EMAIL": "5 per minute",
    "LOGIN_RATE_LIMIT_PER_EMAIL_ALL_ADDRESSES": "50 per hour",
    # The ceiling on password checks, whoever asks: at once in one process, and a second in
    # the whole fleet (as many again from addresses users signed in from before; see
    # app/auth/password_checks.py). None: one a second at BCRYPT_ROUNDS 12, twice as many
    # for each round less, so the CPU they may take stays the same.
    "PASSWORD_CHECKS_PER_PROCESS": 1,
    "PASSWORD_CHECK_RATE_LIMIT": None,
    # Console sessions end after this long unused, and this long after sign-in (seconds).
    "SESSION_IDLE_TIMEOUT": 12 * 3600,
    "SESSION_LIFETIME": 7 * 24 * 3600,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # None means "Secure exactly when the request came over HTTPS"; see app/http.py.
    "SESSION_COOKIE_SECURE": None,
    # Earlier SECRET_KEYs, still accepted on session cookies during a rotation (Flask's own).
    "SECRET_KEY_FALLBACKS": [],
    # The app's and gunicorn's logs alike (app/logs.py): a level, and "text" or "json".
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "text",
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Every database wait is bounded well below gunicorn's worker timeout (30 s), so a
    # locked table or a stuck server gives a 503, never a killed worker (seconds).
    "DATABASE_STATEMENT_TIMEOUT": 5,
    "DATABASE_LOCK_TIMEOUT": 3,
    "WTF_CSRF_TIME_LIMIT": None,
    # Outgoing mail (app/mail). No MAIL_SERVER: each message is written to standard output.
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "Chameleon <no-reply@localhost>",
    "MAIL_TIMEOUT": 10,
    "MAIL_SEND_ATTEMPTS": 3,
    "MAIL_RETRY_SECONDS": 2.0,
    # Password-reset requests per address and per email (app/auth/mail_budgets.py).
    "MAIL_RATE_LIMIT_PER_EMAIL": "3 per 15 minutes",
    # "none", "admins" or "everyone": who must enrol a second factor right after sign-in.
    "REQUIRE_TWO_FACTOR": "none",
    # Wrong second-factor codes per user, from any address: with three codes valid at a
    # time, 10 an hour leaves a guesser who has the password about 1 in 1,400 a day.
    "TWO_FACTOR_RATE_LIMIT": "10 per hour",
    # Where users reach the console, such as "https://keys.example.com": the links in mail
    # (a `flask` command has no request to take the host from). None: the request's host.
    "PUBLIC_URL": None,
    # GitHub secret scanning's public keys, identifier to PEM (app/secret_scanning.py).
    "SECRET_SCANNING_PUBLIC_KEYS": {},
    # What a confirmed leak does to an active key: "revoke" it, or only "notify" its owner.
    "LEAKED_KEY_ACTION": "revoke",
    # Reports to POST /api/keys/revoke-leaked per client address (a route limit of
    # Flask-Limiter's, the only one): while its storage is away the route is not limited,
    # rather than answered with an error.
    "REVOKE_LEAKED_RATE_LIMIT": "10 per minute",
    "RATELIMIT_SWALLOW_ERRORS": True,
}


class ConfigError(ValueError):
    """Settings the app cannot run with; ``problems`` maps each to what is wrong with it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{name} {problem}" for name, problem in self.problems.items()))


_POSTGRES_SCHEMES = ("postgres://", "postgresql://")


def load_config(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` in order of precedence; raise ``ConfigError`` on a bad setting.

    Logging is set up as soon as its settings are known, so that what is logged while the
    rest is derived (a generated secret key) already has its time and level.
    """
    read_config(app, test_config)
    found = problems(app.config)
    if found:
        raise ConfigError(found)
    logs.configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])

    make_private_folder(Path(app.instance_path))
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    # Never put statement parameters (emails, hashes) into error messages and logs.
    options.setdefault("hide_parameters", True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A dead server must fail fast (503), not hang a worker until gunicorn kills it;
        # so must a locked table or a statement that runs away.
        options.setdefault("pool_pre_ping", True)
        connect_args = options.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", 5)
        connect_args.setdefault("options", postgres_timeouts(app.config))
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    app.config["SECRET_KEY"] = str(app.config["SECRET_KEY"])
    if not app.config["KEY_VERIFIER_SECRET"]:
        app.config["KEY_VERIFIER_SECRET"] = derive_secret(app.config["SECRET_KEY"])
        # A derived secret rotates with SECRET_KEY: each earlier key's derived secret is a
        # fallback too, so a SECRET_KEY rotation costs no key a bcrypt check.
        app.config["KEY_VERIFIER_SECRET_FALLBACKS"] = [
            *app.config["KEY_VERIFIER_SECRET_FALLBACKS"],
            *(derive_secret(key) for key in app.config["SECRET_KEY_FALLBACKS"] or ()),
        ]
    app.config["RATELIMIT_FALLBACK_DIVISOR"] = int(app.config["RATELIMIT_FALLBACK_DIVISOR"] or 1)
    if not app.config["PASSWORD_CHECK_RATE_LIMIT"]:
        app.config["PASSWORD_CHECK_RATE_LIMIT"] = password_check_rate(app.config["BCRYPT_ROUNDS"])
    # The cookie lives as long as its server-side session may (app/auth/sessions.py).
    app.config["PERMANENT_SESSION_LIFETIME"] = app.config["SESSION_LIFETIME"]
    bound_storage_waits(app.config)


def read_config(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """The defaults, then ``FLASK_*`` variables (and ``DATABASE_URL``), then ``test_config``."""
    app.config.from_mapping(DEFAULTS)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    app.config.from_prefixed_env()
    if "FLASK_SQLALCHEMY_DATABASE_URI" not in os.environ and os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(app)


def database_uri(app: Flask) -> str:
    """Return the configured database URI, or a SQLite file in the instance folder.

    ``postgres://`` and ``postgresql://`` (as hosting platforms hand them out) mean
    psycopg 3, the driver the ``postgres`` extra installs.
    """
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri:
        return f"sqlite:///{Path(app.instance_path) / 'chameleon.sqlite3'}"
    if not isinstance(uri, str):
        return uri  # a problem config_checks names
    for scheme in _POSTGRES_SCHEMES:
        if uri.startswith(scheme):
            return "postgresql+psycopg://" + uri.removeprefix(scheme)
    return uri


def instance_secret_key(instance: Path) -> str:
    """Read the generated secret key from ``instance/``, creating it (mode 0600) once."""
    path = instance / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    draft = instance / f".{SECRET_KEY_FILE}.{os.getpid()}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(32))
    try:
        # A hard link never overwrites: when two workers start at once, the first key wins
        # and both read it back.
        os.link(draft, path)
        log.warning(
            "No SECRET_KEY configured: generated one into %s. Several hosts must share one "
            "key: set FLASK_SECRET_KEY on each of them.",
            path,
        )
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


def postgres_timeouts(config: Mapping[str, Any]) -> str:
    """The libpq ``options`` that set the session's statement and lock timeouts."""
    statement = int(float(config["DATABASE_STATEMENT_TIMEOUT"]) * 1000)
    lock = int(float(config["DATABASE_LOCK_TIMEOUT"]) * 1000)
    return f"-c statement_timeout={statement} -c lock_timeout={lock}"


def password_check_rate(rounds: int) -> str:
    """The default ``PASSWORD_CHECK_RATE_LIMIT``: one a second at cost 12, the same CPU at any.

    Each round less halves a bcrypt check's cost, so twice as many fit in the same CPU.
    """
    return f"{2 ** max(0, 12 - int(rounds))} per second"


def bound_storage_waits(config: dict[str, Any]) -> None:
    """Short timeouts and one retry for a Redis limiter storage (redis-py waits 5 s, 3 times)."""
    if not str(config["RATELIMIT_STORAGE_URI"]).startswith(("redis://", "rediss://")):
        return
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    options = config.setdefault("RATELIMIT_STORAGE_OPTIONS", {})
    options.setdefault("socket_timeout", REDIS_TIMEOUT_SECONDS)
    options.setdefault("socket_connect_timeout", REDIS_TIMEOUT_SECONDS)
    options.setdefault("retry", Retry(NoBackoff(), 1))
