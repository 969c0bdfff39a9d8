"""Changing a password in the console: the rules of sign-up, other sessions end, a mail."""

from __future__ import annotations

import html

from support.factory import PASSWORD
from support.mail import outbox, post
from support.web import AuthActions

NEW_PASSWORD = "a brand new passphrase"


def change(client, current: str, new: str):
    return post(client, "/en/account/password", {"current_password": current, "new_password": new})


def test_changing_the_password_lets_only_the_new_one_sign_in(app, client, auth, factory):
    user = factory.user()
    auth.login(user)
    response = change(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/account"
    assert "Your password is changed." in client.get("/en/account").text
    auth.logout()
    assert auth.login(user).status_code == 422
    assert auth.login(email=user.email, password=NEW_PASSWORD).status_code == 302


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, factory):
    user = factory.user()
    laptop, phone = app.test_client(), app.test_client()
    AuthActions(laptop).login(user)
    AuthActions(phone).login(user)
    response = change(laptop, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert "1 other session was signed out" in laptop.get("/en/account").text
    assert phone.get("/en/api-keys").status_code == 302
    assert laptop.get("/en/api-keys").status_code == 200


def test_a_wrong_current_password_changes_nothing(app, client, auth, factory):
    user = factory.user()
    auth.login(user)
    response = change(client, "not my password", NEW_PASSWORD)
    assert response.status_code == 422
    assert "Your current password is not right." in response.text
    auth.logout()
    assert auth.login(user).status_code == 302
    assert outbox(app) == []


def test_the_new_password_follows_the_sign_up_rules(client, auth, factory):
    auth.login(factory.user())
    response = change(client, PASSWORD, "password")
    assert response.status_code == 422
    assert "That password is too common." in html.unescape(response.text)
    assert change(client, PASSWORD, "short").status_code == 422


def test_wrong_current_passwords_are_rate_limited_like_sign_in(client, auth, factory):
    auth.login(factory.user())
    answers = [change(client, f"guess number {n}", NEW_PASSWORD).status_code for n in range(6)]
    assert answers == [422] * 5 + [429]
    assert change(client, PASSWORD, NEW_PASSWORD).status_code == 429


def test_the_owner_is_mailed_that_the_password_changed_without_it(app, client, auth, factory):
    user = factory.user()
    auth.login(user)
    change(client, PASSWORD, NEW_PASSWORD)
    (message,) = outbox(app)
    assert message.to == user.email
    assert message.subject == "Your Chameleon password was changed"
    assert NEW_PASSWORD not in message.body and PASSWORD not in message.body


def test_the_change_is_in_the_audit_log_without_a_password(app, client, auth, factory):
    auth.login(factory.user())
    change(client, PASSWORD, NEW_PASSWORD)
    events = client.get("/en/activity").text
    assert "Password changed" in events
    with app.app_context():
        from app.audit.queries import all_events

        (event,) = [e for e in all_events() if e.action == "user.password_changed"]
        assert NEW_PASSWORD not in event.details and PASSWORD not in event.details


def test_the_page_needs_a_signed_in_user(client):
    response = client.get("/en/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/en/login")
