"""A key that still needs bcrypt is never locked out by other people's guesses.

Such a key has no verifier under a known secret (made before verifiers existed, or under a
secret dropped since), so only bcrypt tells it from a guess, and bcrypt checks are budgeted.
Guesses at its key id from other addresses, or at other key ids from its own address, must
not spend the check it needs from the address it is used from. Each test runs on both
gates: ``LocalGate`` (budgets in memory) and, with Redis, ``RedisGate``.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.keys.format import checksum, generate_key

HOME = "10.0.0.7"  # where the genuine key is used from
STATES = ["no verifier", "a verifier under a secret no longer known"]


@pytest.fixture(params=["local gate", pytest.param("redis gate", marks=pytest.mark.redis)])
def config_overrides(request: pytest.FixtureRequest) -> dict:
    """Budgets in memory (``LocalGate``), or in Redis (``RedisGate`` and admit.lua)."""
    if request.param == "local gate":
        return {}
    return {"RATELIMIT_STORAGE_URI": request.getfixturevalue("redis_url")}


def wrong_secret_for(key_id: str) -> str:
    body = f"ck_{key_id}_{generate_key().value[16:-6]}"
    return body + checksum(body)


def status(client: FlaskClient, key: str, address: str) -> int:
    answer = client.get(
        "/api/me", headers={"X-API-Key": key}, environ_base={"REMOTE_ADDR": address}
    )
    return answer.status_code


@pytest.mark.parametrize("state", STATES)
def test_guesses_from_twelve_addresses_leave_the_key_its_check_from_its_usual_address(
    client, factory, bcrypt_calls, state
):
    key_id, key = factory.key(factory.user())
    factory.needs_bcrypt(key_id, state, last_used_from=HOME)
    guesses = [status(client, wrong_secret_for(key_id), f"10.1.0.{n}") for n in range(1, 13)]
    assert guesses == [401] * 10 + [429] * 2  # FAILED_KEY_RATE_LIMIT_PER_KEY: 10 per minute
    assert status(client, key, HOME) == 200
    assert len(bcrypt_calls) == 11
    assert status(client, key, "10.2.0.1") == 200  # verified now: from anywhere, no bcrypt
    assert len(bcrypt_calls) == 11


@pytest.mark.parametrize("state", STATES)
def test_guesses_at_three_key_ids_from_one_address_leave_another_key_its_check_there(
    client, factory, bcrypt_calls, state
):
    shared = "10.0.0.9"  # one office behind one address: a guesser and a genuine client
    guessed = [factory.key(factory.user())[0] for _ in range(3)]
    for key_id in guessed:
        factory.needs_bcrypt(key_id, state, last_used_from="10.3.0.1")
    key_id, key = factory.key(factory.user())
    factory.needs_bcrypt(key_id, state, last_used_from=shared)
    guesses = [status(client, wrong_secret_for(guessed[n % 3]), shared) for n in range(40)]
    assert guesses == [401] * 30 + [429] * 10  # FAILED_KEY_RATE_LIMIT: 30 per minute
    assert status(client, key, shared) == 200
    assert len(bcrypt_calls) == 31


def test_guesses_from_the_keys_own_address_buy_no_more_than_its_budget_there(
    client, factory, bcrypt_calls
):
    key_id, _ = factory.key(factory.user())
    factory.needs_bcrypt(key_id, "no verifier", last_used_from=HOME)
    guesses = [status(client, wrong_secret_for(key_id), HOME) for _ in range(15)]
    assert guesses == [401] * 10 + [429] * 5
    assert len(bcrypt_calls) == 10
