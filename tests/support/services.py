"""Which outside services the suite can use, found at their default local addresses.

``TEST_DATABASE_URL`` and ``TEST_REDIS_URL`` name them; unset, PostgreSQL and Redis are
used where they answer at their default addresses, so ``make test`` runs everything the
machine has. A test whose service is absent skips and says why; under CI (``CI=true``,
where ``.ci/run`` starts every service) it fails instead, so nothing skips unnoticed.
"""

from __future__ import annotations

import os
import secrets
import socket

import pytest

from support import workers

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# Every Redis key the suite makes starts with this (limits' keys contain it), so the
# suite removes exactly its own keys and never flushes a database it did not make.
KEY_PREFIX = f"chameleon-test-{workers.name()}-{os.getpid()}-{secrets.token_hex(3)}"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def database_url() -> str | None:
    """The PostgreSQL server URL to test against, or None (``TEST_DATABASE_URL=`` opts out)."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured is not None:
        return configured or None
    return DEFAULT_DATABASE_URL if _answers("127.0.0.1", 5432) else None


def why_no_database() -> str:
    """Why the PostgreSQL half of the tests cannot run."""
    if os.environ.get("TEST_DATABASE_URL") == "":
        return "PostgreSQL: turned off (TEST_DATABASE_URL is empty)"
    return "PostgreSQL: none answers on 127.0.0.1:5432; set TEST_DATABASE_URL to use another"


def why_no_redis() -> str:
    """Why the Redis tests cannot run."""
    if os.environ.get("TEST_REDIS_URL") == "":
        return "Redis: turned off (TEST_REDIS_URL is empty)"
    return "Redis: none answers on 127.0.0.1:6379; set TEST_REDIS_URL to use another"


def redis_url() -> str | None:
    """The Redis URL to test against, or None."""
    configured = os.environ.get("TEST_REDIS_URL")
    if configured is not None:
        return configured or None
    return DEFAULT_REDIS_URL if _answers("127.0.0.1", 6379) else None


def missing(reason: str) -> None:
    """Skip for want of a service, or fail under CI, where every service must be there."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI must have every service: {reason}", pytrace=False)
    pytest.skip(reason)


def remove_own_keys(url: str) -> None:
    """Delete the keys this test session made in the Redis at ``url``, and only those."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        for pattern in (f"{KEY_PREFIX}:*", f"*/{KEY_PREFIX}/*"):
            batch = list(client.scan_iter(match=pattern, count=500))
            if batch:
                client.delete(*batch)
    finally:
        client.close()
