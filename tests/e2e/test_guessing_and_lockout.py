"""On 4 gunicorn workers: nobody's failures lock a genuine key out, and guessing buys no bcrypt.

Requests come from real loopback addresses (127.0.0.10 and up: Linux answers for all of
127/8), so the per-address budgets see many clients, as they would behind no proxy.
"""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import urlsplit

import pytest
import requests
from e2e_support import TIMEOUT, key_header, run_concurrently, wrong_secret_for

from app.keys.format import generate_key

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis]


def call(base_url: str, key: str, source: str = "127.0.0.1") -> int:
    """``GET /api/me`` with ``key``, from the loopback address ``source``; the status."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=TIMEOUT, source_address=(source, 0)
    )
    try:
        connection.request("GET", "/api/me", headers=key_header(key))
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def bcrypt_checks_of_keys(base_url: str) -> float:
    """The fleet's count of key bcrypt checks, from /metrics (summed over the workers)."""
    text = requests.get(f"{base_url}/metrics", timeout=TIMEOUT).text
    match = re.search(r'^chameleon_bcrypt_checks_total\{of="key"\} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def shared(redis_url: str) -> dict[str, str]:
    """Four workers share their budgets in Redis (the suite's own database)."""
    return {"FLASK_RATELIMIT_STORAGE_URI": redis_url}


def test_junk_unknown_and_revoked_keys_never_lock_out_genuine_keys(
    gunicorn, database_url, factory, redis_url
):
    stranger = factory.user()
    revoked_id, revoked = factory.key(stranger, "old")
    factory.revoke(revoked_id)
    owner = factory.user()
    genuine = [factory.key(owner, f"app {n}")[1] for n in range(20)]
    server = gunicorn(database_url, workers=4, env=shared(redis_url))
    junk = ["x", "ck_not_a_key", generate_key().value, revoked]
    statuses = run_concurrently(
        [lambda n=n: call(server.url, junk[n % len(junk)]) for n in range(100)], threads=8
    )
    assert set(statuses) == {401}
    # Never used before, by any worker, from the very same address.
    fresh = run_concurrently([lambda key=key: call(server.url, key) for key in genuine], threads=4)
    assert fresh == [200] * 20


@pytest.mark.parametrize("verifier", ["with a verifier", "from before verifiers"])
def test_guesses_from_forty_addresses_buy_at_most_the_keys_budget_in_bcrypt(
    gunicorn, database_url, factory, redis_url, verifier
):
    key_id, _ = factory.key(factory.user())
    if verifier == "from before verifiers":
        factory.drop_verifier(key_id)
    server = gunicorn(database_url, workers=4, env=shared(redis_url))
    before = bcrypt_checks_of_keys(server.url)
    sources = [f"127.0.0.{n}" for n in range(10, 50)]
    statuses = run_concurrently(
        [lambda s=source: call(server.url, wrong_secret_for(key_id), s) for source in sources],
        threads=8,
    )
    assert set(statuses) <= {401, 429}
    spent = bcrypt_checks_of_keys(server.url) - before
    if verifier == "with a verifier":
        assert spent == 0  # the verifier tells a wrong secret apart without bcrypt
        assert statuses.count(401) >= 10
    else:
        assert spent <= 10  # FAILED_KEY_RATE_LIMIT_PER_KEY: 10 per minute, whatever the source
        assert statuses.count(429) >= 30
    # The genuine key of another user is untouched by any of it.
    _, other = factory.key(factory.user())
    assert call(server.url, other, "127.0.0.10") == 200
    info = json.loads(requests.get(f"{server.url}/livez", timeout=TIMEOUT).text)
    assert info["status"] == "ok"
