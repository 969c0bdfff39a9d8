"""The application as the tests build it: the base settings, and closing what it opened."""

from __future__ import annotations

from flask import Flask

from app.extensions import db
from app.mail import wait_until_sent

from support.services import KEY_PREFIX

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test secret key",
    "BCRYPT_ROUNDS": 4,
    "RATELIMIT_STORAGE_URI": "memory://",
    # In a shared Redis, the suite's keys are only ever its own (tests/support/services.py).
    "RATELIMIT_KEY_PREFIX": KEY_PREFIX,
    # Mail is kept in the app (tests/support/mail.py), not written to the test's output.
    "MAIL_BACKEND": "locmem",
}


def dispose_engines(app: Flask) -> None:
    """Close every pooled connection the app opened (the key lookup's engine too).

    The usage counter writes what it holds first, while the database is still there, and
    the mail the app queued is sent.
    """
    wait_until_sent(60)
    counter = app.extensions.get("usage_counter")
    if counter is not None:
        counter.close()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()
    gate = app.extensions.get("api_gate")
    if gate is not None:
        gate.verifier.lookup.close()
