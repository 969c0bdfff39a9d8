"""Sign-up, sign-in and sign-out views."""

from __future__ import annotations

import functools

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from app import accounts
from app.accounts.signup import check_sign_up, request_sign_up
from app.auth import SESSION_TOKEN, bp, safe_next, session_limits, sessions
from app.auth.answers import password_checks, too_busy, too_many_sign_ins, visitor
from app.auth.budgets import SignInBudgets
from app.auth.password_checks import ChecksBusy
from app.console import console_actor
from app.metrics import BCRYPT_CHECKS
from app.models import User
from app.models.user import normalize_email
from app.ratelimit import client_address

WRONG_CREDENTIALS = _l("Wrong email or password.")


def _budgets() -> SignInBudgets:
    return current_app.extensions["sign_in_budgets"]


def _landing_page() -> str:
    return safe_next(request.args.get("next")) or url_for("console.index")


def sign_in(user: User) -> None:
    """A fresh session (a session planted before sign-in is worth nothing), on the server."""
    session.clear()
    session.permanent = True  # the cookie lives as long as the server-side session may
    session[SESSION_TOKEN] = sessions.start(user, client_address(), request.user_agent.string)
    login_user(user)


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    """Sign up by a mailed link; the answer is the same whether or not the email has an account."""
    if not current_app.config["SIGNUP_ENABLED"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("console.index"))
    email = request.form.get("email", "")
    if request.method == "GET":
        return render_template("auth/signup.html", email=email)
    address = client_address()
    refusal = _budgets().sign_up_refusal(address)
    if refusal is not None:
        return too_many_sign_ins("auth/signup.html", refusal, email=email)
    _budgets().signed_up(address)
    try:
        email, password = check_sign_up(email, request.form.get("password"))
    except accounts.AccountRefused as refused:
        return render_template("auth/signup.html", email=email, error=str(refused)), 422
    # Only a form that passes the checks is charged to the mail budgets: a few typing
    # mistakes must not keep anyone from signing up.
    mail_budgets = current_app.extensions["mail_budgets"]
    refusal = mail_budgets.mail_refusal(email, address)
    if refusal is not None:
        return too_many_sign_ins("auth/signup.html", refusal, email=email)
    try:
        with password_checks().slot():  # the new password's hash is a bcrypt run too
            mail_budgets.mail_requested(email, address)
            request_sign_up(
                email,
                password,
                rounds=current_app.config["BCRYPT_ROUNDS"],
                locale=g.lang_code,
                link_for=lambda token: url_for("auth.confirm_signup", token=token, _external=True),
                sign_in_url=url_for("auth.login", _external=True),
                reset_url=url_for("auth.password_reset", _external=True),
            )
    except ChecksBusy as busy:
        return too_busy("auth/signup.html", busy.retry_after, email=email)
    return render_template("auth/signup_sent.html", email=email)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in with email and password; one message for any wrong combination."""
    if current_user.is_authenticated:
        return redirect(_landing_page())
    email = request.form.get("email", "")
    if request.method == "GET":
        expired = request.args.get("expired") == "1"
        return render_template("auth/login.html", email=email, session_expired=expired)
    address = client_address()
    normalized = normalize_email(email)

    @functools.cache  # asked by the budgets and the password checks: looked up once
    def usual_address() -> bool:
        user = accounts.get_user_by_email(email)
        return user is not None and sessions.signed_in_from(user.id, address)

    wait = password_checks().busy(usual_address)  # first: a flood is refused cheaply
    if wait is not None:
        return too_busy("auth/login.html", wait, email=email)
    refusal = _budgets().refusal(normalized, address, usual_address)
    if refusal is not None:
        return too_many_sign_ins("auth/login.html", refusal, email=email)
    try:
        with password_checks().slot(usual_address):
            BCRYPT_CHECKS.labels("password").inc()  # authenticate checks one, known email or not
            user = accounts.authenticate(
                email, request.form.get("password"), rounds=current_app.config["BCRYPT_ROUNDS"]
            )
    except ChecksBusy as busy:
        return too_busy("auth/login.html", busy.retry_after, email=email)
    if user is None:
        _budgets().failed(normalized, address)
        accounts.record_failed_sign_in(email, visitor())
        return render_template("auth/login.html", email=email, error=str(WRONG_CREDENTIALS)), 422
    if user.has_two_factor:
        from app.auth.code_step import start_second_step

        return start_second_step(user, _landing_page())
    sign_in(user)
    return redirect(_landing_page())


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (POST with CSRF, so another site cannot sign you out); the session ends."""
    token = session.get(SESSION_TOKEN)
    if isinstance(token, str):
        sessions.end(token)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/account")
@login_required
def account() -> ResponseReturnValue:
    """The signed-in user's account: their sessions, and signing out of the others."""
    alive = sessions.alive_for(current_user.id, *session_limits())
    current = sessions.hash_of(session.get(SESSION_TOKEN, ""))
    return render_template("auth/account.html", sessions=alive, current=current)


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions() -> ResponseReturnValue:
    """End every other session of this user (a lost laptop, a shared computer)."""
    token = session.get(SESSION_TOKEN, "")
    ended = sessions.end_others(current_user.id, token, console_actor())
    flash(
        ngettext(
            "Signed out of %(num)d other session.", "Signed out of %(num)d other sessions.", ended
        ),
        "success",
    )
    return redirect(url_for("auth.account"))


@bp.get("/")
def home() -> ResponseReturnValue:
    """Send people to the console, or to sign in first."""
    return redirect(url_for("console.index"))
