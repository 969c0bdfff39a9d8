"""``flask users set-password``: one line from stdin, the sign-up rules, sessions ended."""

from __future__ import annotations

from support.factory import PASSWORD
from support.mail import outbox
from support.web import AuthActions

NEW_PASSWORD = "a brand new passphrase"


def test_set_password_reads_one_line_and_ends_the_users_sessions(app, runner, factory):
    user = factory.user()
    signed_in = app.test_client()
    AuthActions(signed_in).login(user)
    result = runner.invoke(args=["users", "set-password", user.email], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert "1 session(s) signed out" in result.output
    assert NEW_PASSWORD not in result.output
    assert signed_in.get("/en/api-keys").status_code == 302
    auth = AuthActions(app.test_client())
    assert auth.login(user).status_code == 422
    assert auth.login(email=user.email, password=NEW_PASSWORD).status_code == 302
    assert [m.subject for m in outbox(app)] == ["Your Chameleon password was changed"]


def test_set_password_applies_the_sign_up_rules_in_one_line(runner, factory):
    user = factory.user()
    result = runner.invoke(args=["users", "set-password", user.email], input="password\n")
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines() == [
        "Error: That password is too common. Choose one that is harder to guess."
    ]


def test_set_password_of_an_unknown_user_is_one_clear_line(runner):
    result = runner.invoke(args=["users", "set-password", "x@example.com"], input=PASSWORD)
    assert result.exit_code != 0
    assert result.stderr.strip() == "Error: No user with email x@example.com."


def test_set_password_with_nothing_on_stdin_says_so(runner, factory):
    user = factory.user()
    result = runner.invoke(args=["users", "set-password", user.email], input="")
    assert result.exit_code != 0
    assert "No password on standard input" in result.stderr
