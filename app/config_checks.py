"""What is wrong with each setting, in a line: the app refuses to start on any of them.

``problems(config)`` checks every setting the app reads, as ``load_config`` has filled
them in (environment values already parsed as JSON): ``load_config`` raises
``ConfigError`` when it finds any, and ``flask config check`` prints a line per setting.
Whether the database, Redis and mail answer is the command's to check (app/cli/config.py).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.keys.hmac_verifier import MIN_SECRET_BYTES
from app.logs import FORMATS, LEVELS
from app.roles import Role
from app.secret_scanning import check_public_keys

# What is wrong with a value, or None when nothing is.
Check = Callable[[Any], str | None]

# A KEY_VERIFIER_SECRET (or a fallback) shorter than this is refused.
MIN_VERIFIER_SECRET_BYTES = MIN_SECRET_BYTES
# bcrypt's own bounds for its cost.
BCRYPT_MIN_ROUNDS, BCRYPT_MAX_ROUNDS = 4, 31
# Every single limit is named so: FAILED_KEY_RATE_LIMIT, LOGIN_RATE_LIMIT_PER_EMAIL... A new
# one is checked as soon as it has a default.
RATE_LIMIT_NAME = re.compile(r"[A-Z0-9_]+_RATE_LIMIT(?:_PER_[A-Z0-9_]+)?")


def whole_number(low: int, high: int | None = None) -> Check:
    """A whole number from ``low`` (to ``high``)."""
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"

    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number {bounds}, not {value!r}"
        if value < low or (high is not None and value > high):
            return f"must be {bounds}, not {value}"
        return None

    return check


def seconds(value: Any) -> str | None:
    """A positive number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return f"must be a positive number of seconds, not {value!r}"
    return None


def seconds_or_none(value: Any) -> str | None:
    """A number of seconds, 0 included (no wait)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return f"must be a number of seconds, 0 or more, not {value!r}"
    return None


def boolean(value: Any) -> str | None:
    """``true`` or ``false`` (JSON, from the environment)."""
    return None if isinstance(value, bool) else f"must be true or false, not {value!r}"


def optional_boolean(value: Any) -> str | None:
    """``true``, ``false``, or unset."""
    return None if value is None else boolean(value)


def rate_limit(value: Any) -> str | None:
    """A limit such as ``"100 per minute"``."""
    try:
        parse_many(value)
    except (ValueError, TypeError):
        return f'is not a rate limit such as "100 per minute": {value!r}'
    return None


def role_rate_limits(value: Any) -> str | None:
    """A rate limit for each role, and no other key."""
    if not isinstance(value, Mapping) or set(value) != set(Role):
        return f"must map each of {', '.join(Role)} to a rate limit, not {value!r}"
    for role, limit in value.items():
        if problem := rate_limit(limit):
            return f"for {role} {problem}"
    return None


def strings(*, allow_none: bool = False, allow_empty: bool = True) -> Check:
    """A JSON list of non-empty strings."""

    def check(value: Any) -> str | None:
        if value is None and allow_none:
            return None
        if not isinstance(value, list | tuple) or not all(
            isinstance(item, str) and item for item in value
        ):
            return f'must be a JSON list of strings such as ["a", "b"], not {value!r}'
        if not value and not allow_empty:
            return "must not be empty"
        return None

    return check


def networks(value: Any) -> str | None:
    """A list of networks such as ``"10.0.0.0/8"``."""
    if problem := strings()(value):
        return problem
    for network in value:
        try:
            ipaddress.ip_network(network)
        except ValueError:
            return f"{network!r} is not a network such as 10.0.0.0/8"
    return None


def verifier_secret(value: Any) -> str | None:
    """Unset (derived from SECRET_KEY), or a secret of at least 16 bytes."""
    if value is None:
        return None
    if not isinstance(value, str | bytes):
        return f"must be a string of at least {MIN_VERIFIER_SECRET_BYTES} bytes"
    length = len(value.encode() if isinstance(value, str) else value)
    if length < MIN_VERIFIER_SECRET_BYTES:
        return f"must be at least {MIN_VERIFIER_SECRET_BYTES} bytes long, not {length}"
    return None


def verifier_secrets(value: Any) -> str | None:
    """A list of earlier verifier secrets, each as ``KEY_VERIFIER_SECRET`` must be."""
    if not isinstance(value, list | tuple):
        # Never the value itself: it may well be a secret without its brackets.
        return 'must be a JSON list of secrets such as ["an earlier secret"]'
    for index, secret in enumerate(value, start=1):
        problem = "must be a string" if secret is None else verifier_secret(secret)
        if problem:
            return f"item {index} {problem}"
    return None


def database_uri(value: Any) -> str | None:
    """A database URL SQLAlchemy can read."""
    try:
        make_url(value)
    except (ArgumentError, TypeError, ValueError):
        return "is not a database URL such as postgresql+psycopg://user@host/db"
    return None


def optional(check: Check) -> Check:
    """``check``, or unset."""
    return lambda value: None if value is None else check(value)


def key_prefix(value: Any) -> str | None:
    """A Redis key prefix: ASCII letters, digits and ``-_.:``, as admit.lua spells it too."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", value):
        return f"must be 1 to 64 ASCII letters, digits or -_.: characters, not {value!r}"
    return None


def choice(allowed: tuple[str, ...], *, any_case: bool = False) -> Check:
    """One of ``allowed`` (in any letter case when ``any_case``)."""

    def check(value: Any) -> str | None:
        given = value.upper() if any_case and isinstance(value, str) else value
        return None if given in allowed else f"must be one of {', '.join(allowed)}, not {value!r}"

    return check


def web_address(value: Any) -> str | None:
    """An http(s) URL with a host and nothing after its path, such as https://keys.example.com."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
    ):
        return f"must be an http(s) address such as https://keys.example.com, not {value!r}"
    return None


# What a confirmed leak does to an active key (app/keys/leaks.py).
LEAKED_KEY_ACTIONS = ("revoke", "notify")
# Who must enrol a second factor (app/auth/guards.py).
TWO_FACTOR_SCOPES = ("none", "admins", "everyone")
TCP_PORTS = whole_number(1, 65535)

CHECKS: dict[str, Check] = {
    "SECRET_KEY_FALLBACKS": strings(allow_none=True),
    "SQLALCHEMY_DATABASE_URI": database_uri,
    "ROLE_RATE_LIMITS": role_rate_limits,
    "BCRYPT_ROUNDS": whole_number(BCRYPT_MIN_ROUNDS, BCRYPT_MAX_ROUNDS),
    "SIGNUP_ENABLED": boolean,
    "MAX_ACTIVE_KEYS_PER_USER": whole_number(1),
    "TRUSTED_PROXY_COUNT": whole_number(0),
    "TRUSTED_HOSTS": strings(allow_none=True, allow_empty=False),
    "KEY_VERIFIER_SECRET": verifier_secret,
    "KEY_VERIFIER_SECRET_FALLBACKS": verifier_secrets,
    "LANGUAGES": strings(allow_empty=False),
    "USAGE_FLUSH_SECONDS": seconds,
    "METRICS_ALLOWED_NETWORKS": networks,
    "SESSION_IDLE_TIMEOUT": seconds,
    "SESSION_LIFETIME": seconds,
    "SESSION_COOKIE_SECURE": optional_boolean,
    "MAX_CONTENT_LENGTH": whole_number(1),
    "DATABASE_STATEMENT_TIMEOUT": seconds,
    "DATABASE_LOCK_TIMEOUT": seconds,
    "LOG_LEVEL": choice(LEVELS, any_case=True),
    "LOG_FORMAT": choice(FORMATS),
    "RATELIMIT_KEY_PREFIX": key_prefix,
    "RATELIMIT_FALLBACK_DIVISOR": optional(whole_number(1)),
    "PASSWORD_CHECKS_PER_PROCESS": whole_number(1),
    "REQUIRE_TWO_FACTOR": choice(TWO_FACTOR_SCOPES),
    "MAIL_PORT": TCP_PORTS,
    "MAIL_USE_TLS": boolean,
    "MAIL_USE_SSL": boolean,
    "MAIL_TIMEOUT": seconds,
    "MAIL_SEND_ATTEMPTS": whole_number(1),
    "MAIL_RETRY_SECONDS": seconds_or_none,
    "PUBLIC_URL": lambda value: None if not value else web_address(value),
    "SECRET_SCANNING_PUBLIC_KEYS": check_public_keys,
    "LEAKED_KEY_ACTION": choice(LEAKED_KEY_ACTIONS),
}
# Settings whose None means "derived from the others at start" (app/config.py).
DERIVED_WHEN_UNSET = {"PASSWORD_CHECK_RATE_LIMIT"}


def checks(config: Mapping[str, Any]) -> dict[str, Check]:
    """The check of each setting in ``config`` that has one, rate limits included."""
    limits = {name: rate_limit for name in config if RATE_LIMIT_NAME.fullmatch(name)}
    return {name: check for name, check in {**CHECKS, **limits}.items() if name in config}


def problems(config: Mapping[str, Any]) -> dict[str, str]:
    """Each checked setting that is wrong, with what is wrong with it."""
    found = {}
    for name, check in checks(config).items():
        if config[name] is None and name in DERIVED_WHEN_UNSET:
            continue
        if problem := check(config[name]):
            found[name] = problem
    return found
