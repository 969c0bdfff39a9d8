"""Caps and invariants that hold when requests race: on PostgreSQL, which runs them at once.

SQLite's write transactions begin IMMEDIATE and take turns; PostgreSQL's run side by side,
so a count followed by a write needs a lock there. Each test races real threads, each in
its own app context (its own session and connection), round after round.
"""

from __future__ import annotations

import threading
from functools import partial

import pytest
from sqlalchemy import func, select

from app import accounts
from app.extensions import db
from app.keys import service, verifier_secret
from app.models import ApiKey, User

pytestmark = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)

ROUNDS = 20


def race(app, jobs):
    """Run each job in its own thread and app context, all released at once; their results."""
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index, job):
        with app.app_context():
            start.wait()
            try:
                results[index] = job()
            except Exception as error:  # a refusal is a result here
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_parallel_creates_at_95_keys_end_at_exactly_100(app, factory):
    for number in range(ROUNDS):
        info = factory.user(f"busy{number}@example.com")
        with app.app_context():
            owner = db.session.get(User, info.id)
            for n in range(95):
                service.create_key(
                    owner, f"key {n}", rounds=4, verifier=verifier_secret(app), max_active=100
                )

        def create(user_id=info.id):
            owner = db.session.get(User, user_id)
            return service.create_key(
                owner, "racing", rounds=4, verifier=verifier_secret(app), max_active=100
            )

        results = race(app, [create] * 20)
        refused = [result for result in results if isinstance(result, service.TooManyKeys)]
        assert len(refused) == 15, results
        with app.app_context():
            active = db.session.scalar(
                select(func.count(ApiKey.id)).where(
                    ApiKey.user_id == info.id, ApiKey.revoked_at.is_(None)
                )
            )
        assert active == 100, f"round {number}: {active} active keys"


def test_two_admins_demoting_each_other_at_once_leave_an_admin(app, factory):
    for number in range(ROUNDS):
        first = factory.user(f"first{number}@example.com", role="admin")
        second = factory.user(f"second{number}@example.com", role="admin")
        with app.app_context():
            # Only these two are admins in this round.
            for user in db.session.scalars(select(User).where(User.role == "admin")):
                if user.id not in (first.id, second.id):
                    user.role = "standard"
            db.session.commit()

        def demote(target, by):
            user = db.session.get(User, target.id)
            return accounts.update_user(user, role="standard", by=by.id)

        results = race(
            app,
            [partial(demote, second, first), partial(demote, first, second)],
        )
        with app.app_context():
            admins = db.session.scalar(
                select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
            )
        assert admins == 1, f"round {number}: {admins} admins left; {results}"
        refusals = [r for r in results if isinstance(r, accounts.AccountRefused)]
        assert len(refusals) == 1
        assert "always be an active admin" in str(refusals[0])


def test_deactivating_the_last_admin_is_refused(app, factory):
    first = factory.user("first@example.com", role="admin")
    second = factory.user("second@example.com", role="admin")
    factory.deactivate(second)
    with app.app_context():
        user = db.session.get(User, first.id)
        with pytest.raises(accounts.AccountRefused, match="always be an active admin"):
            accounts.update_user(user, active=False)
