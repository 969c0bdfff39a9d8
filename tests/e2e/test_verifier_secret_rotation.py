"""Rotating ``KEY_VERIFIER_SECRET`` on real gunicorns with PostgreSQL and Redis: no bcrypt at all.

A fleet restarted onto a new secret, with the old one in ``KEY_VERIFIER_SECRET_FALLBACKS``,
admits every existing key on its first request without a bcrypt check and rewrites its
verifier under the new secret. Mid-rollout, a host still on the old secret (the new one as
its fallback) and a host on the new one admit the same keys back and forth, again without
bcrypt. bcrypt checks are read from each server's /metrics.
"""

from __future__ import annotations

import json

import pytest
import requests
from e2e_support import (
    POSTGRES_ONLY,
    TIMEOUT,
    UNLIMITED_ENV,
    bcrypt_checks_of_keys,
    key_header,
    run_concurrently,
    wait_for,
)
from sqlalchemy import select

from app.extensions import db
from app.keys.hmac_verifier import secret_id_of
from app.models import ApiKey

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis, POSTGRES_ONLY]

OLD = "the fleet's verifier secret of last year"
NEW = "the fleet's verifier secret of this year"


@pytest.fixture
def config_overrides() -> dict:
    """The test's own app makes the keys, under the old secret (as the fleet did)."""
    return {"KEY_VERIFIER_SECRET": OLD}


def fleet(
    gunicorn, database_url: str, redis_url: str, secret: str, fallbacks: list[str], workers=4
):
    return gunicorn(
        database_url,
        workers=workers,
        env={
            "FLASK_RATELIMIT_STORAGE_URI": redis_url,
            **UNLIMITED_ENV,
            "FLASK_KEY_VERIFIER_SECRET": secret,
            "FLASK_KEY_VERIFIER_SECRET_FALLBACKS": json.dumps(fallbacks),
        },
    )


def status(base_url: str, key: str) -> int:
    return requests.get(f"{base_url}/api/me", headers=key_header(key), timeout=TIMEOUT).status_code


def secret_ids(factory) -> set[str]:
    """The ids of the secrets the keys' verifiers were made under."""
    with factory.app.app_context():
        return {verifier.split(":")[0] for verifier in db.session.scalars(select(ApiKey.verifier))}


def test_a_fleet_restarted_onto_a_new_secret_pays_no_bcrypt_for_existing_keys(
    gunicorn, database_url, factory, redis_url
):
    user = factory.user()
    keys = [factory.key(user, f"app {n}")[1] for n in range(40)]
    before = fleet(gunicorn, database_url, redis_url, OLD, [])
    # In use on the old secret: their records (and old verifiers) are cached in Redis.
    assert run_concurrently([lambda k=key: status(before.url, k) for key in keys], 4) == [200] * 40
    assert before.stop() == 0
    after = fleet(gunicorn, database_url, redis_url, NEW, [OLD])
    firsts = run_concurrently([lambda k=key: status(after.url, k) for key in keys], threads=4)
    assert firsts == [200] * 40
    assert bcrypt_checks_of_keys(after.url) == 0
    # Every verifier rewritten, each once its answer had gone.
    rewritten = {secret_id_of(NEW.encode())}
    wait_for(lambda: secret_ids(factory) == rewritten, TIMEOUT, "every verifier rewritten")


def test_hosts_on_the_old_and_the_new_secret_admit_the_same_keys_without_bcrypt(
    gunicorn, database_url, factory, redis_url
):
    user = factory.user()
    keys = [factory.key(user, f"app {n}")[1] for n in range(10)]
    old_host = fleet(gunicorn, database_url, redis_url, OLD, [NEW], workers=2)
    new_host = fleet(gunicorn, database_url, redis_url, NEW, [OLD], workers=2)
    for _ in range(3):
        for key in keys:
            assert [status(host.url, key) for host in (new_host, old_host)] == [200, 200]
    assert bcrypt_checks_of_keys(old_host.url) + bcrypt_checks_of_keys(new_host.url) == 0
