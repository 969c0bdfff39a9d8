"""A TOTP second factor: enrolment, two-step sign-in, recovery codes, turning it off."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from support.factory import PASSWORD
from support.mail import outbox, post
from support.two_factor import RECOVERY_CODE, code_now, enrol, enrolment_secret
from support.web import INLINE_SCRIPT, AuthActions


def sign_in_two_steps(client, user, code: str | None = None, next_path: str = ""):
    """The password step (and, with ``code``, the code step); the last answer."""
    token_page = "/en/login" + (f"?next={next_path}" if next_path else "")
    first = post(
        client, token_page, {"email": user.email, "password": user.password}, page="/en/login"
    )
    if code is None:
        return first
    return post(client, "/en/login/two-factor", {"code": code})


@pytest.fixture
def enrolled(app, client, auth, factory, clock):
    """A user with a second factor, signed out; (user, secret, recovery codes)."""
    user = factory.user()
    auth.login(user)
    secret, codes = enrol(client)
    auth.logout()
    clock.advance(30)  # the code that confirmed enrolment is spent
    return user, secret, codes


def test_enrolment_shows_a_qr_code_drawn_on_the_server_and_the_secret_as_text(
    client, auth, factory
):
    user = factory.user()
    auth.login(user)
    page = client.get("/en/account/two-factor")
    assert page.status_code == 200
    assert "<svg" in page.text and "QR code for your authenticator app" in page.text
    assert not INLINE_SCRIPT.search(page.text)
    secret = enrolment_secret(client)
    assert "otpauth://totp/Chameleon:" in page.text and f"secret={secret}" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_a_wrong_confirmation_code_leaves_the_second_factor_off(app, client, auth, factory):
    user = factory.user()
    auth.login(user)
    enrolment_secret(client)
    answer = post(client, "/en/account/two-factor", {"code": "000000"})
    assert answer.status_code == 422
    assert "That code is not right" in answer.text
    auth.logout()
    assert auth.login(user).headers["Location"] == "/en/api-keys"


def test_turning_it_on_shows_ten_recovery_codes_and_mails_the_owner(app, client, auth, factory):
    user = factory.user()
    auth.login(user)
    _, codes = enrol(client)
    assert len(set(codes)) == 10
    assert [m.subject for m in outbox(app)] == [
        "A second factor is now on for your Chameleon account"
    ]
    assert not any(code in outbox(app)[0].body for code in codes)
    assert "Second factor turned on" in client.get("/en/activity").text


def test_the_secret_is_sealed_at_rest(app, client, auth, factory):
    user = factory.user()
    auth.login(user)
    secret, _ = enrol(client)
    with app.app_context():
        from app.extensions import db
        from app.models import RecoveryCode, User

        stored = db.session.get(User, user.id).totp_secret
        hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert secret not in stored
    assert len(hashes) == 10 and all(len(h) == 64 for h in hashes)


def test_the_password_alone_never_signs_in(app, client, enrolled):
    user, _, _ = enrolled
    first = sign_in_two_steps(client, user)
    assert first.status_code == 302
    assert first.headers["Location"] == "/en/login/two-factor"
    assert client.get("/en/api-keys").status_code == 302  # no session yet
    with app.app_context():
        from app.auth import session_limits, sessions

        assert sessions.alive_for(user.id, *session_limits()) == []


def test_a_wrong_code_is_refused_and_a_right_one_signs_in(client, enrolled):
    user, secret, _ = enrolled
    sign_in_two_steps(client, user)
    wrong = post(client, "/en/login/two-factor", {"code": "123456"})
    assert wrong.status_code == 422
    right = post(client, "/en/login/two-factor", {"code": code_now(secret)})
    assert right.status_code == 302
    assert right.headers["Location"] == "/en/api-keys"
    assert client.get("/en/api-keys").status_code == 200


def test_the_code_step_returns_to_where_the_person_was_going(client, enrolled):
    user, secret, _ = enrolled
    answer = sign_in_two_steps(client, user, code_now(secret), next_path="/en/activity")
    assert answer.headers["Location"] == "/en/activity"


def seal_under_a_dropped_key(app, user_id: int) -> None:
    """Store the user's TOTP secret as sealed under a secret key no longer configured."""
    from app.accounts.sealed import Sealer
    from app.extensions import db
    from app.models import User

    with app.app_context():
        db.session.get(User, user_id).totp_secret = Sealer("a dropped key").seal("JBSWY3DPEHPK3PXP")
        db.session.commit()


def test_recovery_codes_work_after_the_secret_key_changed_without_fallback(app, enrolled):
    user, secret, codes = enrolled
    seal_under_a_dropped_key(app, user.id)
    assert sign_in_two_steps(app.test_client(), user, code_now(secret)).status_code == 422
    assert sign_in_two_steps(app.test_client(), user, codes[0]).status_code == 302


def test_an_enrolment_whose_secret_cannot_be_read_starts_afresh(app, client, auth, factory):
    user = factory.user()
    auth.login(user)
    first = enrolment_secret(client)
    seal_under_a_dropped_key(app, user.id)
    secret = enrolment_secret(client)  # the page answers, with a new secret
    assert secret != first
    answer = post(client, "/en/account/two-factor", {"code": code_now(secret)})
    assert answer.status_code == 200
    assert len(RECOVERY_CODE.findall(answer.text)) == 10


def test_a_code_works_only_once(app, enrolled):
    user, secret, _ = enrolled
    code = code_now(secret)
    first, second = app.test_client(), app.test_client()
    assert sign_in_two_steps(first, user, code).status_code == 302
    assert sign_in_two_steps(second, user, code).status_code == 422


def test_a_recovery_code_works_once_and_only_once(app, enrolled):
    user, _, codes = enrolled
    assert sign_in_two_steps(app.test_client(), user, codes[0]).status_code == 302
    assert sign_in_two_steps(app.test_client(), user, codes[0]).status_code == 422
    typed_loosely = codes[1].upper().replace("-", " ")
    assert sign_in_two_steps(app.test_client(), user, typed_loosely).status_code == 302


def test_code_attempts_are_rate_limited(client, enrolled):
    user, secret, _ = enrolled
    sign_in_two_steps(client, user)
    answers = [
        post(client, "/en/login/two-factor", {"code": f"{n:06d}"}).status_code for n in range(11)
    ]
    assert answers == [422] * 10 + [429]
    assert post(client, "/en/login/two-factor", {"code": code_now(secret)}).status_code == 429


def test_the_code_step_waits_only_a_few_minutes(client, enrolled, clock):
    user, secret, _ = enrolled
    sign_in_two_steps(client, user)
    clock.advance(301)
    late = post(client, "/en/login/two-factor", {"code": code_now(secret)}, page="/en/login")
    assert late.status_code == 302
    assert late.headers["Location"] == "/en/login"
    assert client.get("/en/api-keys").status_code == 302


def test_turning_it_off_needs_the_password_and_a_code(app, client, enrolled, clock):
    user, secret, _ = enrolled
    sign_in_two_steps(client, user, code_now(secret))
    clock.advance(30)
    no_password = post(
        client,
        "/en/account/two-factor/disable",
        {"current_password": "not it at all", "code": code_now(secret)},
    )
    assert no_password.status_code == 422
    no_code = post(
        client, "/en/account/two-factor/disable", {"current_password": PASSWORD, "code": "1"}
    )
    assert no_code.status_code == 422
    clock.advance(30)
    off = post(
        client,
        "/en/account/two-factor/disable",
        {"current_password": PASSWORD, "code": code_now(secret)},
    )
    assert off.status_code == 302
    assert outbox(app)[-1].subject == "The second factor of your Chameleon account is off"
    AuthActions(client).logout()
    assert AuthActions(client).login(user).headers["Location"] == "/en/api-keys"


def test_new_recovery_codes_replace_the_old_ones(app, client, enrolled, clock):
    user, secret, old_codes = enrolled
    sign_in_two_steps(client, user, code_now(secret))
    clock.advance(30)
    answer = post(client, "/en/account/two-factor/recovery-codes", {"code": code_now(secret)})
    assert answer.status_code == 200
    assert "you will not see them again" in answer.text
    assert sign_in_two_steps(app.test_client(), user, old_codes[0]).status_code == 422


def test_the_operator_can_reset_a_locked_out_users_second_factor(app, runner, enrolled):
    user, _, _ = enrolled
    result = runner.invoke(args=["users", "reset-two-factor", user.email])
    assert result.exit_code == 0, result.output
    assert "is off" in result.output
    assert sign_in_two_steps(app.test_client(), user).headers["Location"] == "/en/api-keys"
    again = runner.invoke(args=["users", "reset-two-factor", user.email])
    assert "nothing changed" in again.output


def test_reset_two_factor_of_an_unknown_user_is_one_clear_line(runner):
    result = runner.invoke(args=["users", "reset-two-factor", "nobody@example.com"])
    assert result.exit_code != 0
    assert result.stderr.strip() == "Error: No user with email nobody@example.com."
