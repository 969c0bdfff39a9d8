"""A forgotten password: a mailed link, good once for an hour, revealing no account."""

from __future__ import annotations

from support.factory import PASSWORD
from support.mail import link_in, outbox, post, to
from support.web import AuthActions

NEW_PASSWORD = "a brand new passphrase"


def ask_for_reset(client, email: str):
    return post(client, "/en/password-reset", {"email": email})


def reset_link(app, client, email: str) -> str:
    assert ask_for_reset(client, email).status_code == 200
    return link_in(to(app, email)[-1])


def test_a_known_and_an_unknown_email_get_the_same_answer(app, client, factory):
    user = factory.user("ada@example.com")
    known = ask_for_reset(client, user.email)
    unknown = ask_for_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(user.email, "X") == unknown.text.replace("nobody@example.com", "X")
    assert [message.to for message in outbox(app)] == [user.email]


def test_the_link_sets_a_new_password_and_ends_every_session(app, client, factory):
    user = factory.user()
    signed_in = app.test_client()
    AuthActions(signed_in).login(user)
    link = reset_link(app, client, user.email)
    assert link.startswith("/en/password-reset/")
    answer = post(client, link, {"new_password": NEW_PASSWORD})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/en/login"
    assert signed_in.get("/en/api-keys").status_code == 302
    auth = AuthActions(client)
    assert auth.login(user).status_code == 422
    assert auth.login(email=user.email, password=NEW_PASSWORD).status_code == 302


def test_the_same_link_a_second_time_says_it_was_used_or_expired(app, client, factory):
    user = factory.user()
    link = reset_link(app, client, user.email)
    assert post(client, link, {"new_password": NEW_PASSWORD}).status_code == 302
    again = client.get(link)
    assert again.status_code == 410
    assert "This link was used or has expired" in again.text
    assert 'name="new_password"' not in again.text
    second_try = post(client, link, {"new_password": "yet another one"}, page="/en/login")
    assert second_try.status_code == 410


def test_the_link_expires_after_an_hour(app, client, factory, clock):
    user = factory.user()
    link = reset_link(app, client, user.email)
    clock.advance(59 * 60)
    assert client.get(link).status_code == 200
    clock.advance(61)
    assert client.get(link).status_code == 410
    auth = AuthActions(client)
    assert auth.login(user).status_code == 302


def test_a_password_the_rules_refuse_leaves_the_link_usable(app, client, factory):
    user = factory.user()
    link = reset_link(app, client, user.email)
    refused = post(client, link, {"new_password": "password"})
    assert refused.status_code == 422
    assert "too common" in refused.text
    assert post(client, link, {"new_password": NEW_PASSWORD}).status_code == 302


def test_an_invented_or_malformed_token_is_the_used_or_expired_page(client):
    for token in ["nope", "x" * 500, "%00", "..%2F..%2Fetc"]:
        answer = client.get(f"/en/password-reset/{token}")
        assert answer.status_code in (404, 410), token


def test_a_newer_password_closes_links_still_open(app, client, auth, factory):
    user = factory.user()
    link = reset_link(app, client, user.email)
    auth.login(user)
    post(
        client, "/en/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert client.get(link).status_code == 410


def test_reset_requests_are_limited_per_email_whoever_asks(app, factory):
    user = factory.user()
    answers = [ask_for_reset(app.test_client(), user.email).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert len(to(app, user.email)) == 3
    # The same limit for an email with no account: the answer reveals nothing.
    unknown = [ask_for_reset(app.test_client(), "nobody@example.com").status_code for _ in range(4)]
    assert unknown == answers


def test_reset_requests_are_limited_per_address(app, client):
    answers = [ask_for_reset(client, f"person{n}@example.com").status_code for n in range(21)]
    assert answers == [200] * 20 + [429]


def test_the_reset_is_audited_without_the_token_or_the_password(app, client, factory):
    user = factory.user()
    link = reset_link(app, client, user.email)
    post(client, link, {"new_password": NEW_PASSWORD})
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        from app.audit.queries import all_events, to_dict

        events = [to_dict(event) for event in all_events()]
    actions = [event["action"] for event in events]
    assert "user.password_reset_requested" in actions and "user.password_reset" in actions
    assert token not in str(events) and NEW_PASSWORD not in str(events)


def test_a_links_token_never_reaches_a_log_line(app, client, factory):
    from app.logs import redact

    user = factory.user()
    link = reset_link(app, client, user.email)
    token = link.rsplit("/", 1)[1]
    line = redact(f'127.0.0.1 "GET {link} HTTP/1.1" 200 512 3ms')
    assert token not in line
    assert '"GET /en/password-reset/[redacted] HTTP/1.1" 200' in line
