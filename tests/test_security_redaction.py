"""No secret is stored by accident: keys are redacted, passwords are kept nowhere.

A key typed as an email or sent inside a user agent is redacted before the audit log or a
user-agent column keeps it; a password typed at sign-in is kept nowhere at all.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from app.extensions import db
from app.keys.format import REDACTED, checksum, parse_key, redact_keys
from app.logs import redact
from app.models import ApiKey, AuditEvent, UserSession

from support.web import csrf_token

PASSWORD_TRIED = "Tr0ub4dor&3-not-the-password"


def _stored_text(app) -> str:
    """Every audit event, session and key's user agent, as one text to search."""
    with app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
        sessions = db.session.scalars(select(UserSession)).all()
        keys = db.session.scalars(select(ApiKey)).all()
        return "\n".join(
            [
                *(
                    " ".join((e.actor_email, e.ip, e.user_agent, e.target, e.details))
                    for e in events
                ),
                *(s.user_agent for s in sessions),
                *(k.last_used_user_agent or "" for k in keys),
            ]
        )


def _secret_of(key: str) -> str:
    return key[16:48]


def _sign_in(client, email: str, password: str, **kwargs):
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/en/login", data=data, **kwargs)


def test_a_key_typed_into_the_email_field_is_not_stored(app, client, factory):
    user = factory.user("ada@example.com")
    _, key = factory.key(user)
    assert _sign_in(client, key, PASSWORD_TRIED).status_code == 422
    assert _sign_in(client, f"{key}@example.com", PASSWORD_TRIED).status_code == 422

    stored = _stored_text(app)
    assert _secret_of(key) not in stored
    with app.app_context():
        failed = db.session.scalars(
            select(AuditEvent.actor_email).where(AuditEvent.action == "user.sign_in_failed")
        ).all()
    assert failed == [REDACTED, f"{REDACTED}@example.com"]


def test_a_key_sent_inside_a_user_agent_is_not_stored(app, client, factory):
    user = factory.user("ada@example.com")
    _, key = factory.key(user)
    agent = {"User-Agent": f"deploy-bot/2.1 (token {key})"}
    assert _sign_in(client, user.email, user.password, headers=agent).status_code == 302
    # buffered: read to the end and closed, as a server does before after-answer work.
    me = client.get("/api/me", headers={"X-API-Key": key, **agent}, buffered=True)
    assert me.status_code == 200

    stored = _stored_text(app)
    assert _secret_of(key) not in stored
    assert stored.count(f"deploy-bot/2.1 (token {REDACTED})") >= 3  # event, session, key
    listed = client.get("/api/keys", headers={"X-API-Key": key}).json["keys"]
    assert listed[0]["last_used_at"] is not None


@pytest.mark.parametrize("config_overrides", [{"TRUSTED_PROXY_COUNT": 1}])
def test_a_new_networks_event_keeps_no_key_from_the_user_agent(app, client, factory):
    user = factory.user("ada@example.com")
    _, key = factory.key(user)
    client.get("/api/me", headers={"X-API-Key": key}, buffered=True)
    client.get(
        "/api/me",
        headers={"X-API-Key": key, "User-Agent": key, "X-Forwarded-For": "203.0.113.7"},
        buffered=True,
    )
    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "key.new_network")
        ).all()
    assert event.user_agent == REDACTED


def test_a_password_typed_at_sign_in_is_kept_nowhere(app, client, factory, caplog):
    caplog.set_level(logging.DEBUG)
    user = factory.user("ada@example.com")
    page = _sign_in(client, user.email, PASSWORD_TRIED)
    assert page.status_code == 422
    assert PASSWORD_TRIED not in page.get_data(as_text=True)
    _sign_in(client, "nobody@example.com", PASSWORD_TRIED)
    assert PASSWORD_TRIED not in _stored_text(app)
    assert PASSWORD_TRIED not in caplog.text


def test_a_typed_email_is_kept_to_its_longest_deliverable_length(app, client):
    _sign_in(client, "a" * 5000 + "@example.com", PASSWORD_TRIED)
    with app.app_context():
        [email] = db.session.scalars(select(AuditEvent.actor_email)).all()
    assert len(email) == 254


# A fixed key, as generate_key() makes them: the parametrised tests' names show it, and
# pytest-xdist needs the same names in every worker.
_BODY = "ck_6ZOkHPASizjq_I8uhy6bn6izcEL3JAi7YC2BJ2AEQrHFH"
KEY = _BODY + checksum(_BODY)
assert parse_key(KEY) is not None


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (KEY, REDACTED),
        (f"Bearer {KEY}", f"Bearer {REDACTED}"),
        (f"x{KEY}y", f"x{REDACTED}"),  # glued to words on both sides
        (KEY[:20], REDACTED),  # cut short: part of the secret is still a secret
        (KEY[:15], KEY[:15]),  # the key id alone is public
        ("ck_john@example.com", "ck_john@example.com"),
        ("Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (X11; Linux x86_64)"),
    ],
)
def test_redact_keys(text, kept):
    assert redact_keys(text) == kept


@pytest.mark.parametrize("text", [KEY, f"Bearer {KEY}", KEY[:20], f"{KEY}@example.com"])
def test_the_logs_redact_every_key_the_database_does(text):
    # The logs' pattern lives apart (gunicorn loads it without the app); they must agree.
    assert _secret_of(KEY)[:4] not in redact(text)
    assert _secret_of(KEY)[:4] not in redact_keys(text)
