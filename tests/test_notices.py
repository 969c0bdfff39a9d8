"""Notices by mail: expiring keys (``flask notices send``), new networks, raised roles, settings."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from app import create_app
from app.extensions import db
from app.models import User
from app.notices.expiry import send_expiry_notices

from support.apps import BASE_CONFIG, dispose_engines
from support.mail import outbox, post

PUBLIC_URL = "https://keys.example.com"


@pytest.fixture
def config_overrides() -> dict:
    return {"PUBLIC_URL": PUBLIC_URL, "TRUSTED_PROXY_COUNT": 1}


def set_user(app, user_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(**values))
        db.session.commit()


def mails_to(app, address: str) -> list:
    return [message for message in outbox(app) if message.to == address]


def smtp_app(database_url: str, smtp_server):
    """The app as a host running ``flask notices send`` has it: SMTP, and its public URL."""
    config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "PUBLIC_URL": PUBLIC_URL}
    return create_app({**config, **smtp_server.config()})


def test_a_key_expiring_in_3_days_is_mailed_once_over_smtp(database_url, factory, smtp_server):
    owner = factory.user("ada@example.com")
    key_id, key = factory.key(owner, "Nightly export", expires_in=timedelta(days=3))
    factory.key(owner, "Later", expires_in=timedelta(days=30))
    factory.key(owner, "Forever")
    app = smtp_app(database_url, smtp_server)
    try:
        runner = app.test_cli_runner()
        first = runner.invoke(args=["notices", "send"])
        second = runner.invoke(args=["notices", "send"])
    finally:
        dispose_engines(app)

    assert first.exit_code == 0, first.output
    assert "Sent 1 " in first.output
    assert second.exit_code == 0 and "Sent 0 " in second.output
    (message,) = smtp_server.messages_to("ada@example.com")
    text = message.get_content()
    assert "Nightly export" in message["Subject"]
    assert f"{PUBLIC_URL}/en/api-keys/{key_id}" in text
    assert key not in text


def test_two_runs_at_once_mail_each_key_once(database_url, factory, smtp_server):
    owner = factory.user("ada@example.com")
    for number in range(12):
        factory.key(owner, f"key {number}", expires_in=timedelta(days=2))
    apps = [smtp_app(database_url, smtp_server) for _ in range(2)]
    start = threading.Barrier(2)
    sent: list[int] = []

    def run(app) -> None:
        with app.app_context():
            start.wait()
            sent.append(send_expiry_notices())

    threads = [threading.Thread(target=run, args=(app,)) for app in apps]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for app in apps:
            dispose_engines(app)
    assert sum(sent) == 12
    subjects = [m["Subject"] for m in smtp_server.messages_to("ada@example.com")]
    assert sorted(subjects) == sorted(set(subjects))
    assert len(subjects) == 12


def test_notices_send_needs_the_public_url(app, factory):
    app.config["PUBLIC_URL"] = None
    factory.key(factory.user(), expires_in=timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["notices", "send"])
    assert result.exit_code == 1
    assert "PUBLIC_URL" in result.output
    assert outbox(app) == []


def test_expiry_reminders_can_be_turned_off(app, factory):
    owner = factory.user("ada@example.com")
    factory.key(owner, expires_in=timedelta(days=3))
    set_user(app, owner.id, notify_expiry=False)
    assert "Sent 0 " in app.test_cli_runner().invoke(args=["notices", "send"]).output
    assert mails_to(app, "ada@example.com") == []


def api(client, key, address):
    headers = {"X-API-Key": key, "X-Forwarded-For": address}
    return client.get("/api/me", headers=headers, buffered=True)


def test_a_key_used_from_a_new_network_is_mailed_at_once(app, client, factory):
    owner = factory.user("ada@example.com")
    key_id, key = factory.key(owner, "Phone app")
    api(client, key, "198.51.100.4")  # its first network: where it lives
    assert mails_to(app, "ada@example.com") == []
    api(client, key, "203.0.113.7")
    (mail,) = mails_to(app, "ada@example.com")
    assert "203.0.113.0/24" in mail.body
    assert f"{PUBLIC_URL}/en/api-keys/{key_id}" in mail.body


def test_new_network_notices_can_be_turned_off(app, client, factory):
    owner = factory.user("ada@example.com")
    _, key = factory.key(owner)
    set_user(app, owner.id, notify_new_network=False)
    api(client, key, "198.51.100.4")
    api(client, key, "203.0.113.7")
    assert mails_to(app, "ada@example.com") == []


def test_a_role_that_gives_keys_more_power_is_mailed(app, factory):
    owner = factory.user("ada@example.com")
    factory.key(owner)
    factory.set_role(owner, "premium")
    (mail,) = mails_to(app, "ada@example.com")
    assert "Premium" in mail.body or "premium" in mail.body
    factory.set_role(owner, "standard")
    assert len(mails_to(app, "ada@example.com")) == 1


def test_mail_is_in_the_owners_language(app, factory):
    owner = factory.user("ada@example.com")
    set_user(app, owner.id, locale="de")
    key_id, _ = factory.key(owner, "Export", expires_in=timedelta(days=3))
    app.test_cli_runner().invoke(args=["notices", "send"])
    (mail,) = mails_to(app, "ada@example.com")
    assert "läuft" in mail.subject
    assert f"{PUBLIC_URL}/de/api-keys/{key_id}" in mail.body


def test_the_account_page_turns_notices_off_and_on_without_javascript(app, client, factory, auth):
    owner = factory.user("ada@example.com")
    auth.login(owner)
    page = client.get("/en/account").get_data(as_text=True)
    assert 'name="notify_expiry" checked' in page
    answer = post(client, "/en/account/notices", {"notify_new_network": "on"}, page="/en/account")
    assert answer.status_code == 302
    with app.app_context():
        user = db.session.get(User, owner.id)
        assert (user.notify_expiry, user.notify_new_network) == (False, True)
    refused = client.post("/en/account/notices", data={"notify_expiry": "on"})
    assert refused.status_code == 400  # no CSRF token
