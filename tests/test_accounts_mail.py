"""Mail over a real SMTP server: in the user's language, never a secret, never a failed page."""

from __future__ import annotations

import logging

import pytest

from support.factory import PASSWORD
from support.mail import all_sent, post
from support.web import csrf_token

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def config_overrides(smtp_server):
    """Send this module's mail to the suite's SMTP server, retrying without waiting."""
    return {**smtp_server.config(), "MAIL_SEND_ATTEMPTS": 2, "MAIL_RETRY_SECONDS": 0}


def visit(client, path: str) -> None:
    """Open a page as a browser would (the answer read and closed)."""
    client.get(path).close()


def test_a_reset_link_arrives_over_smtp_in_the_language_last_used(
    smtp_server, app, client, auth, factory
):
    user = factory.user()
    auth.login(user)
    visit(client, "/de/api-keys")  # the console in German, last
    auth.logout()
    answer = post(client, "/es/password-reset", {"email": user.email})
    assert answer.status_code == 200
    (message,) = smtp_server.messages
    assert message["To"] == user.email
    assert message["Subject"] == "Setzen Sie Ihr Chameleon-Passwort zurück"
    body = message.get_content()
    assert "/de/password-reset/" in body
    assert PASSWORD not in body
    assert message.get_content_type() == "text/plain"


def test_each_message_is_in_the_users_language_and_holds_no_password(
    smtp_server, app, client, auth, factory
):
    user = factory.user()
    auth.login(user)
    visit(client, "/zh/account")
    post(
        client,
        "/zh/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    (message,) = smtp_server.messages
    assert message["Subject"] == "你的 Chameleon 密码已更改"
    assert NEW_PASSWORD not in message.as_string() and PASSWORD not in message.as_string()


def test_with_the_mail_server_down_the_page_answers_and_the_log_names_the_message(
    smtp_server, app, client, factory, caplog
):
    user = factory.user()
    smtp_server.stop()
    with caplog.at_level(logging.WARNING, logger="app.mail"):
        answer = post(client, "/en/password-reset", {"email": user.email})
    assert answer.status_code == 200
    assert "Check your email" in answer.text
    (failure,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.startswith(f"Mail 'password_reset' to {user.email} failed after 2 attempts")
    retries = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(retries) == 1 and "attempt 1 of 2" in retries[0].getMessage()


def test_the_page_answers_while_the_mail_server_has_not(smtp_server, app, client, factory, caplog):
    user = factory.user()
    token = csrf_token(client, "/en/password-reset")
    smtp_server.hold()  # takes the message, answers only once released
    try:
        with caplog.at_level(logging.WARNING, logger="app.mail"):
            answer = client.post(
                "/en/password-reset", data={"email": user.email, "csrf_token": token}
            )
            answer.close()
            assert answer.status_code == 200
            assert "Check your email" in answer.text
            assert smtp_server.messages == []  # the answer went first
            smtp_server.release()
            all_sent()
    finally:
        smtp_server.release()
    (message,) = smtp_server.messages
    assert message["To"] == user.email
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_flask_command_sends_its_mail_before_it_returns(smtp_server, app, runner, factory):
    user = factory.user()
    result = runner.invoke(args=["users", "set-password", user.email], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    (message,) = smtp_server.messages  # read without waiting for the mail thread
    assert message["To"] == user.email


def test_without_a_mail_server_messages_are_written_to_standard_output(database_url, capsys):
    from app import create_app

    from support.apps import BASE_CONFIG, dispose_engines
    from support.factory import Factory

    config = {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "MAIL_BACKEND": None}
    app = create_app(config)
    try:
        assert app.config["MAIL_BACKEND"] == "console"
        user = Factory(app).user()
        post(app.test_client(), "/en/password-reset", {"email": user.email})
    finally:
        dispose_engines(app)
    printed = capsys.readouterr().out
    assert f"To: {user.email}" in printed
    assert "Subject: Reset your Chameleon password" in printed
    assert "/en/password-reset/" in printed
