"""On 4 gunicorn workers: nobody's failures lock a genuine key out, and guessing buys no bcrypt.

Requests come from real loopback addresses (127.0.0.10 and up: Linux answers for all of
127/8), so the per-address budgets see many clients, as they would behind no proxy.
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
import requests
from e2e_support import (
    TIMEOUT,
    bcrypt_checks_of_keys,
    key_header,
    run_concurrently,
    wrong_secret_for,
)

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


@pytest.mark.parametrize(
    ("state", "usual"),
    [("no verifier", "127.0.0.5"), ("a verifier under a secret no longer known", "127.0.0.6")],
)
def test_guesses_from_twelve_addresses_never_lock_a_key_out_of_its_usual_address(
    gunicorn, database_url, factory, redis_url, state, usual
):
    key_id, key = factory.key(factory.user())
    factory.needs_bcrypt(key_id, state, last_used_from=usual)  # only bcrypt can verify it
    server = gunicorn(database_url, workers=4, env=shared(redis_url))
    sources = [f"127.0.0.{n}" for n in range(10, 22)]
    statuses = run_concurrently(
        [lambda s=source: call(server.url, wrong_secret_for(key_id), s) for source in sources],
        threads=4,
    )
    assert sorted(statuses) == [401] * 10 + [429] * 2  # the key id's budget: 10 per minute
    assert call(server.url, key, usual) == 200
    assert bcrypt_checks_of_keys(server.url) == 11


def test_guesses_at_three_key_ids_from_one_address_never_lock_out_another_key_used_there(
    gunicorn, database_url, factory, redis_url
):
    office = "127.0.0.7"  # one address for a guesser and a genuine client alike
    guessed = [factory.key(factory.user())[0] for _ in range(3)]
    for key_id in guessed:
        factory.needs_bcrypt(key_id, last_used_from="127.0.0.8")
    key_id, key = factory.key(factory.user())
    factory.needs_bcrypt(key_id, "a verifier under a secret no longer known", office)
    server = gunicorn(database_url, workers=4, env=shared(redis_url))
    statuses = run_concurrently(
        [lambda n=n: call(server.url, wrong_secret_for(guessed[n % 3]), office) for n in range(40)],
        threads=4,
    )
    # 40 failed checks from one address: its budget (30 per minute) is spent.
    assert set(statuses) == {401, 429}
    assert statuses.count(429) >= 10
    assert call(server.url, key, office) == 200
