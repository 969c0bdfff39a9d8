"""Fresh benchmark databases: migrated, filled with users and keys, dropped at the end.

The load is spread over ``USERS`` users with ``KEYS_PER_USER`` keys each, hashed at the
app's default bcrypt cost, so that no cache or limiter list holds a single entry.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask

USERS = 8
KEYS_PER_USER = 3
FRESH_KEYS = 5  # never-seen keys for the first-request (bcrypt) measurement
INVALID_KEYS = 8
SECRET_KEY = "benchmark secret key"  # a throwaway signing key for a temp database
# Every Redis key the benchmark makes carries this, so it removes exactly its own.
KEY_PREFIX = f"chameleon-bench-{os.getpid()}"
PASSWORD = "benchmark password"  # nobody signs in; users need one anyway


@dataclass
class Dataset:
    """The keys a benchmark database holds, and the app that wrote them."""

    url: str
    app: Flask
    keys: list[str]  # load keys, several per user
    fresh_keys: list[str]  # created but never used before the first-request measurement
    bad_checksum_keys: list[str]
    unknown_keys: list[str]


def prepare_dataset(name: str, url: str, storage_uri: str = "memory://") -> Dataset:
    """Migrate a fresh database and fill it with users and keys.

    The app that writes them has the servers' settings (``storage_uri``), as every ``flask``
    command must: a revocation made here must reach the servers' cached records.
    """
    started = time.monotonic()
    app = make_app(url, storage_uri)
    migrate(app)
    keys, fresh = create_keys(app)
    print(
        f"  {name}: {USERS} users, {len(keys)} load keys and {len(fresh)} fresh keys "
        f"(bcrypt cost {app.config['BCRYPT_ROUNDS']}) in {time.monotonic() - started:.1f}s"
    )
    return Dataset(
        url=url,
        app=app,
        keys=keys,
        fresh_keys=fresh,
        bad_checksum_keys=[bad_checksum(key) for key in keys[:INVALID_KEYS]],
        unknown_keys=unknown_keys(INVALID_KEYS),
    )


def make_app(database_url: str, storage_uri: str) -> Flask:
    """The application on ``database_url``, for migrating, creating keys and revoking."""
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": SECRET_KEY,
            "RATELIMIT_STORAGE_URI": storage_uri,
            "RATELIMIT_KEY_PREFIX": KEY_PREFIX,
        }
    )


def migrate(app: Flask) -> None:
    """Bring the app's database to the latest migration (``flask db upgrade``)."""
    import flask_migrate

    logging.disable(logging.INFO)  # alembic's "Running upgrade ..." lines
    try:
        with app.app_context():
            flask_migrate.upgrade()
    finally:
        logging.disable(logging.NOTSET)


def create_keys(app: Flask) -> tuple[list[str], list[str]]:
    """Create users with keys at the app's bcrypt cost; return (load keys, fresh keys)."""
    from app import accounts
    from app.keys import service, verifier_secret

    rounds = app.config["BCRYPT_ROUNDS"]
    verifier = verifier_secret(app)
    load: list[str] = []
    fresh: list[str] = []
    with app.app_context():
        # The users' passwords are never checked, so the cheapest bcrypt cost will do.
        owners = [
            accounts.create_user(f"bench{n}@example.com", PASSWORD, rounds=4, role="standard")
            for n in range(USERS)
        ]
        for n in range(KEYS_PER_USER):
            for owner in owners:
                _, key = service.create_key(
                    owner, f"load {n}", rounds=rounds, verifier=verifier, max_active=100
                )
                load.append(key)
        for n in range(FRESH_KEYS):
            owner = owners[n % len(owners)]
            _, key = service.create_key(
                owner, f"fresh {n}", rounds=rounds, verifier=verifier, max_active=100
            )
            fresh.append(key)
    return load, fresh


def bad_checksum(key: str) -> str:
    """``key`` with its last character changed, so its checksum no longer matches."""
    last = "A" if key[-1] != "A" else "B"
    return key[:-1] + last


def unknown_keys(count: int) -> list[str]:
    """Well-formed keys (right shape, right checksum) that no database holds."""
    from app.keys.format import generate_key

    return [generate_key().value for _ in range(count)]


def dispose(app: Flask) -> None:
    """Close every pooled connection the app opened, the key lookup's engine too."""
    from app.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()
    app.extensions["api_gate"].verifier.lookup.close()


def services_unavailable(postgres_url: str, redis_url: str) -> str | None:
    """Why PostgreSQL + Redis cannot be used, or None when both answer."""
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(postgres_url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any driver or import error: report it, skip the variants
        return f"PostgreSQL at {postgres_url} is unreachable ({type(error).__name__})"
    try:
        import redis

        client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
        client.ping()
        client.close()
    except Exception as error:  # as above
        return f"Redis at {redis_url} is unreachable ({type(error).__name__})"
    return None


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A database of the benchmark's own on the server, dropped at the end."""
    from sqlalchemy import create_engine, make_url, text

    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"chameleon_bench_{os.getpid()}"
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@contextmanager
def own_redis_keys(url: str) -> Iterator[str]:
    """The Redis at ``url``; the benchmark's own keys (under ``KEY_PREFIX``) removed after."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        yield url
    finally:
        for pattern in (f"{KEY_PREFIX}:*", f"*/{KEY_PREFIX}/*"):
            batch = list(client.scan_iter(match=pattern, count=1000))
            if batch:
                client.delete(*batch)
        client.close()
