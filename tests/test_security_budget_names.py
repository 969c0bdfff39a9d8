"""Sign-in budgets in Redis are named by an HMAC of the email, never by a bare hash of it.

Anyone who can read Redis and knows an address must not be able to tell whether it was
tried: SHA-256 of the address would say so, an HMAC under a secret they lack does not.
"""

from __future__ import annotations

import hashlib

import pytest
import redis

from support.services import KEY_PREFIX
from support.web import csrf_token

EMAIL = "victim@example.com"

pytestmark = pytest.mark.redis


@pytest.fixture
def config_overrides(redis_url):
    """Count the budgets in Redis, where they can be read back."""
    return {"RATELIMIT_STORAGE_URI": redis_url}


def _sign_in_budget_names(redis_url: str) -> list[str]:
    client = redis.Redis.from_url(redis_url)
    try:
        names = [name.decode() for name in client.scan_iter(match=f"*{KEY_PREFIX}*", count=500)]
    finally:
        client.close()
    return [name for name in names if "sign-in-email" in name]


def test_a_failed_sign_in_leaves_no_bare_hash_of_the_email_in_redis(client, factory, redis_url):
    factory.user(EMAIL)
    form = {"email": EMAIL, "password": "not the password", "csrf_token": csrf_token(client)}
    assert client.post("/en/login", data=form).status_code == 422

    names = _sign_in_budget_names(redis_url)
    assert len(names) == 2  # per email from this address, and per email from all addresses
    bare = hashlib.sha256(EMAIL.encode()).hexdigest()
    for name in names:
        assert bare[:16] not in name
        assert EMAIL not in name


def test_the_email_budget_still_counts_under_its_hmac(client, factory, redis_url):
    factory.user(EMAIL)
    token = csrf_token(client)
    statuses = [
        client.post(
            "/en/login", data={"email": EMAIL, "password": "wrong", "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [422] * 5 + [429]
