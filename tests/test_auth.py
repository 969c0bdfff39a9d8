"""Sign-up, sign-in and sign-out in the console, with CSRF on every form."""

from __future__ import annotations

import pytest

from support.factory import PASSWORD
from support.mail import outbox, post, sign_up
from support.web import csrf_token


def test_signup_creates_an_account_and_signs_in(client):
    response = sign_up(client, "Ada@Example.com", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/api-keys"
    page = client.get("/en/api-keys")
    assert page.status_code == 200
    assert "ada@example.com" in page.get_data(as_text=True)


def test_signup_with_a_taken_email_makes_nothing_and_tells_its_owner(app, client, factory):
    factory.user("ada@example.com")
    response = post(client, "/en/signup", {"email": "ADA@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert "already exists" not in response.text
    (notice,) = outbox(app)
    assert notice.to == "ada@example.com"
    assert notice.subject == "Someone tried to sign up with your address"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 8 characters"),
        ("é" * 37, "at most 72 bytes"),  # 37 characters, 74 bytes in UTF-8
        ("a" * 73, "at most 72 bytes"),
    ],
)
def test_signup_refuses_bad_passwords_with_a_clear_message(client, password, message):
    token = csrf_token(client, "/en/signup")
    response = client.post(
        "/en/signup", data={"email": "ada@example.com", "password": password, "csrf_token": token}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_72_byte_password_is_accepted_and_not_truncated(client, auth):
    password = "p" * 72
    assert sign_up(client, "ada@example.com", password).status_code == 302
    auth.logout()
    assert auth.login(email="ada@example.com", password=password).status_code == 302
    auth.logout()
    # bcrypt would accept anything beginning with the first 72 bytes; we never get there.
    assert auth.login(email="ada@example.com", password=password + "x").status_code == 422


def test_signup_is_404_when_disabled(app, client):
    app.config["SIGNUP_ENABLED"] = False
    assert client.get("/en/signup").status_code == 404


def test_login_lands_on_the_console(client, auth, factory):
    user = factory.user()
    response = auth.login(user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/api-keys"


def test_login_follows_a_local_next_but_never_another_site(client, auth, factory):
    user = factory.user()
    token = csrf_token(client)
    form = {"email": user.email, "password": user.password, "csrf_token": token}
    response = client.post("/en/login?next=//evil.example/x", data=form)
    assert response.headers["Location"] == "/en/api-keys"
    auth.logout()
    token = csrf_token(client)
    response = client.post("/en/login?next=/en/api-keys/create", data={**form, "csrf_token": token})
    assert response.headers["Location"] == "/en/api-keys/create"


def test_wrong_email_and_wrong_password_get_the_same_answer(client, auth, factory):
    user = factory.user("ada@example.com")
    wrong_password = auth.login(email=user.email, password="not the password")
    wrong_email = auth.login(email="nobody@example.com", password=user.password)
    assert wrong_password.status_code == wrong_email.status_code == 422
    text = "Wrong email or password."

    def message(response):
        return (
            response.get_data(as_text=True)
            .replace(user.email, "")
            .replace("nobody@example.com", "")
        )

    assert text in message(wrong_password)
    # The pages differ only in the email echoed back into the field.
    body = message(wrong_password).split('name="csrf-token"')[0]
    assert body == message(wrong_email).split('name="csrf-token"')[0]


def test_deactivated_user_cannot_sign_in_and_is_signed_out(client, auth, factory):
    user = factory.user()
    auth.login(user)
    assert client.get("/en/api-keys").status_code == 200
    factory.deactivate(user)
    assert client.get("/en/api-keys").status_code == 302  # the session no longer counts
    assert auth.login(user).status_code == 422


def test_logout_signs_out(client, auth, factory):
    auth.login(factory.user())
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/en/api-keys").headers["Location"].startswith("/en/login")


def test_logout_by_get_is_not_allowed(client, auth, factory):
    auth.login(factory.user())
    refused = client.get("/en/logout")
    assert refused.status_code == 405
    assert "POST" in refused.headers["Allow"]
    assert client.get("/en/api-keys").status_code == 200


@pytest.mark.parametrize("path", ["/en/login", "/en/signup", "/en/logout"])
@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["missing", "wrong"])
def test_forms_without_a_valid_csrf_token_are_400(client, factory, path, token):
    user = factory.user()
    csrf_token(client)  # a session exists, so only the token is at fault
    data = {"email": user.email, "password": user.password}
    if token:
        data["csrf_token"] = token
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, factory):
    response = auth.login(factory.user())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http://127.0.0.1, as make run serves


def test_session_cookie_is_secure_over_https(client, factory):
    user = factory.user()
    page = client.get("/en/login", base_url="https://localhost")
    token = page.get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(
        "/en/login",
        base_url="https://localhost",
        data={"email": user.email, "password": user.password, "csrf_token": token},
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_console_needs_sign_in(client):
    response = client.get("/en/api-keys")
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/login?next=/en/api-keys"


def test_home_leads_to_the_console(client):
    assert client.get("/").headers["Location"] == "/en/"
    assert client.get("/en/").headers["Location"] == "/en/api-keys"
