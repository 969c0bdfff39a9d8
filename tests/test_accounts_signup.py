"""Sign-up confirms the address by mail, and answers the same whether or not it has an account."""

from __future__ import annotations

import re

import pytest

from support.factory import PASSWORD
from support.mail import link_in, outbox, post, to
from support.web import AuthActions

# A CSRF token carries the second it was signed in, so two pages a second apart differ there.
CSRF_TOKEN = re.compile(r'(name="csrf_token" value=|name="csrf-token" content=)"[^"]*"')


def page_for_anyone(text: str, local_part: str) -> str:
    """The page with the address's local part and the CSRF token blanked out."""
    return CSRF_TOKEN.sub(r'\1""', text.replace(f"{local_part}@", "X@"))


def ask(client, email: str, password: str = PASSWORD, locale: str = "en"):
    return post(client, f"/{locale}/signup", {"email": email, "password": password})


def test_a_new_address_gets_a_link_and_no_account_until_it_is_followed(app, client):
    answer = ask(client, "ada@example.com", locale="es")
    assert answer.status_code == 200
    assert "Revisa tu correo" in answer.text
    (message,) = outbox(app)
    assert message.to == "ada@example.com"
    assert message.subject == "Confirma tu cuenta de Chameleon"
    assert PASSWORD not in message.body
    assert (
        AuthActions(app.test_client()).login(email="ada@example.com", password=PASSWORD).status_code
        == 422
    )
    link = link_in(message)
    assert link.startswith("/es/signup/confirm/")
    done = post(client, link, {"password": PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/es/api-keys"
    assert "ada@example.com" in client.get("/es/api-keys").text


def test_a_taken_address_gets_the_same_answer_and_its_owner_a_notice(app, factory):
    owner = factory.user("ada@example.com")
    client = app.test_client()
    taken = ask(client, "ada@example.com")
    fresh = ask(client, "bob@example.com")
    assert taken.status_code == fresh.status_code == 200
    assert page_for_anyone(taken.text, "ada") == page_for_anyone(fresh.text, "bob")
    (notice,) = to(app, owner.email)
    assert notice.subject == "Someone tried to sign up with your address"
    assert "/signup/confirm/" not in notice.body
    assert AuthActions(app.test_client()).login(owner).status_code == 302  # unchanged


def test_the_link_needs_the_password_chosen_at_sign_up(app, client):
    ask(client, "ada@example.com")
    link = link_in(outbox(app)[0])
    stranger = post(app.test_client(), link, {"password": "not what they chose"})
    assert stranger.status_code == 422
    assert "That is not the password you chose when you signed up." in stranger.text
    assert post(client, link, {"password": PASSWORD}).status_code == 302


def test_the_link_works_once(app, client):
    ask(client, "ada@example.com")
    link = link_in(outbox(app)[0])
    assert post(client, link, {"password": PASSWORD}).status_code == 302
    again = app.test_client().get(link)
    assert again.status_code == 410
    assert "This link was used or has expired" in again.text


def test_the_link_expires_after_an_hour(app, client, clock):
    ask(client, "ada@example.com")
    link = link_in(outbox(app)[0])
    clock.advance(3601)
    assert client.get(link).status_code == 410


def test_a_look_alike_is_refused_only_once_the_address_is_confirmed(app, client, factory):
    factory.user("admin@example.com", role="admin")
    lookalike = "\u0430dmin@example.com"  # a Cyrillic a
    answer = ask(client, lookalike)
    assert answer.status_code == 200
    assert "looks too much like" not in answer.text
    (message,) = to(app, lookalike)
    refused = post(client, link_in(message), {"password": PASSWORD})
    assert refused.status_code == 422
    assert "looks too much like an existing account" in refused.text


def test_the_form_still_refuses_what_it_got_wrong(client):
    assert ask(client, "not an address").status_code == 422
    assert ask(client, "ada@example.com", "password").status_code == 422


def test_the_account_keeps_the_hash_made_at_sign_up(app, client):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import OneTimeLink, User

    ask(client, "ada@example.com")
    with app.app_context():
        made_at_sign_up = db.session.scalar(select(OneTimeLink.password_hash))
    assert post(client, link_in(outbox(app)[0]), {"password": PASSWORD}).status_code == 302
    with app.app_context():
        kept = db.session.scalar(select(User.password_hash).where(User.email == "ada@example.com"))
    assert made_at_sign_up is not None and kept == made_at_sign_up


@pytest.mark.parametrize("has_account", [False, True])
def test_forms_refused_for_their_own_mistakes_spend_no_mail(app, client, factory, has_account):
    if has_account:
        factory.user("ada@example.com")
    for password in ("short", "password", "ada@example.com!"):
        assert ask(client, "ada@example.com", password).status_code == 422
    answer = ask(client, "ada@example.com")
    assert answer.status_code == 200
    assert "Check your email" in answer.text
    assert [message.to for message in outbox(app)] == ["ada@example.com"]


def test_accounts_made_by_the_cli_need_no_confirmation(app, runner):
    result = runner.invoke(args=["users", "create", "ops@example.com", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    login = AuthActions(app.test_client()).login(email="ops@example.com", password=PASSWORD)
    assert login.status_code == 302


def test_sign_ups_for_one_address_are_limited_so_no_mailbox_is_flooded(app, factory):
    factory.user("ada@example.com")
    for email in ("ada@example.com", "bob@example.com"):
        answers = [ask(app.test_client(), email).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429], email
    assert len(outbox(app)) == 6
