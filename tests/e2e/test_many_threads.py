"""A worker with many threads: every thread gets its own key-lookup connection, no pool cap."""

from __future__ import annotations

from collections import Counter
from functools import partial

import pytest
import requests
from e2e_support import TIMEOUT, key_header, run_concurrently

pytestmark = pytest.mark.gunicorn

THREADS = 24


def get_me(base_url: str, key: str) -> int:
    """One authenticated call on a connection of its own."""
    with requests.Session() as http:
        return http.get(f"{base_url}/api/me", headers=key_header(key), timeout=TIMEOUT).status_code


def test_more_threads_than_any_pool_all_get_answers(gunicorn, database_url, factory):
    _, key = factory.key(factory.user())
    server = gunicorn(
        database_url,
        workers=1,
        env={
            "GUNICORN_THREADS": str(THREADS),
            "FLASK_ROLE_RATE_LIMITS": '{"standard": "10000 per minute", '
            '"premium": "10000 per minute", "admin": "10000 per minute"}',
        },
    )
    calls = [partial(get_me, server.url, key)] * (4 * THREADS)
    statuses = Counter(run_concurrently(calls, THREADS))
    assert statuses == {200: 4 * THREADS}, statuses
    assert "QueuePool limit" not in server.log()
