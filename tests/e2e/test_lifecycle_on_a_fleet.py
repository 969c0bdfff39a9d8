"""Expiry, usage and the audit chain on 4 gunicorn workers with PostgreSQL and Redis.

Expiry and the end of a grace period apply on the next request on every worker, usage is
counted exactly, and any number of writers extend one audit chain.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from e2e_support import POSTGRES_ONLY, TIMEOUT, UNLIMITED_ENV, key_header, run_concurrently

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis, POSTGRES_ONLY]


def status(server, key: str) -> tuple[int, str | None]:
    with requests.Session() as http:
        answer = http.get(f"{server.url}/api/me", headers=key_header(key), timeout=TIMEOUT)
    code = answer.json().get("error", {}).get("code") if answer.status_code != 200 else None
    return answer.status_code, code


def fleet(gunicorn, database_url, redis_url, **env):
    return gunicorn(
        database_url,
        workers=4,
        env={"FLASK_RATELIMIT_STORAGE_URI": redis_url, **UNLIMITED_ENV, **env},
    )


def test_expiry_and_the_end_of_a_grace_apply_on_every_worker_at_once(
    gunicorn, database_url, factory, redis_url
):
    from app.keys import service, verifier_secret

    server = fleet(gunicorn, database_url, redis_url)
    # The clock starts before the keys are made, so their 8 s are all inside the window below.
    started = time.monotonic()
    user = factory.user()
    _, expiring = factory.key(user, "expiring", expires_in=timedelta(seconds=8))
    old_id, old = factory.key(user, "old")
    with factory.app.app_context():
        _, _, new = service.rotate_key(
            old_id,
            owner_id=None,
            grace=timedelta(seconds=8),
            rounds=4,
            verifier=verifier_secret(factory.app),
            max_active=100,
        )
    made = time.monotonic()
    # Every worker admits all three while they are good (and caches their records in Redis).
    for key in (expiring, old, new):
        assert set(run_concurrently([lambda k=key: status(server, k)] * 16, threads=8)) == {
            (200, None)
        }
    assert time.monotonic() - started < 7.5, "too slow a machine for an 8 s expiry"
    time.sleep(max(0.0, made + 8.3 - time.monotonic()))
    for key in (expiring, old):
        answers = set(run_concurrently([lambda k=key: status(server, k)] * 16, threads=8))
        assert answers == {(401, "expired_api_key")}, answers
    assert set(run_concurrently([lambda: status(server, new)] * 16, threads=8)) == {(200, None)}


def test_400_requests_over_4_workers_are_counted_exactly_after_a_clean_stop(
    gunicorn, database_url, factory, redis_url
):
    user = factory.user()
    key_id, key = factory.key(user)
    # Counts are written only when a worker stops: the stop alone must lose none.
    server = fleet(gunicorn, database_url, redis_url, FLASK_USAGE_FLUSH_SECONDS="3600")
    answers = run_concurrently([lambda: status(server, key)] * 400, threads=8)
    assert answers.count((200, None)) == 400
    assert server.stop() == 0
    with factory.app.app_context():
        from app.keys import service
        from app.usage.store import last_days

        row = service.get_key(key_id, owner_id=None)
        assert sum(day["requests"] for day in last_days(row.id)) == 400


def test_writers_on_every_worker_and_the_cli_extend_one_chain(
    gunicorn, database_url, factory, redis_url
):
    user = factory.user()
    keys = [factory.key(user, f"key {n}") for n in range(60)]
    _, caller = factory.key(user, "caller")
    server = fleet(gunicorn, database_url, redis_url)

    def revoke(key_id: str) -> int:
        with requests.Session() as http:
            return http.post(
                f"{server.url}/api/keys/{key_id}/revoke",
                headers=key_header(caller),
                timeout=TIMEOUT,
            ).status_code

    def create_from_cli(n: int) -> int:
        return (
            factory.app.test_cli_runner()
            .invoke(args=["keys", "create", user.email, "--name", f"cli {n}"])
            .exit_code
        )

    calls = [lambda k=key_id: revoke(k) for key_id, _ in keys]
    calls += [lambda n=n: create_from_cli(n) for n in range(20)]
    results = run_concurrently(calls, threads=12)
    assert results.count(200) == 60 and results.count(0) == 20
    verified = factory.app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    with factory.app.app_context():
        from app.extensions import db
        from app.models import AuditEvent

        count = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
        top = db.session.scalar(db.select(db.func.max(AuditEvent.id)))
    assert count == top  # ids without gaps: 1 user + 61 keys + 60 revokes + 20 CLI keys
    assert count == 1 + 61 + 60 + 20
