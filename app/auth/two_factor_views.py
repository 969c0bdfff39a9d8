"""The second factor in the console: enrolment on /account/two-factor, the sign-in code step.

A user with a second factor who gives the right password gets no session: only a short
pending mark in the Flask session (whose cookie is signed), good for a few minutes, that
``/login/two-factor`` needs. The right code there starts the session.
"""

from __future__ import annotations

import time

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app import accounts, audit
from app.accounts import AccountRefused, recovery_codes, two_factor
from app.accounts import security_messages as messages
from app.accounts.password_changes import WrongPassword
from app.audit import Actor
from app.auth import bp, safe_next
from app.auth.account_views import signed_in_actor
from app.auth.reset_views import too_many_requests, wait_message
from app.auth.views import _sign_in
from app.database import write_transaction
from app.models import User
from app.ratelimit import client_address

PENDING = "two_factor_pending"
PENDING_SECONDS = 300


def start_second_step(user: User, next_url: str):
    """The password was right: remember that for a few minutes and ask for the code."""
    session.clear()
    session[PENDING] = {
        "user_id": user.id,
        "until": int(time.time()) + PENDING_SECONDS,
        "next": safe_next(next_url) or url_for("console.index"),
    }
    return redirect(url_for("auth.login_two_factor"))


def _pending() -> tuple[User, str] | None:
    """The user half signed in by this browser, and where they were going, or None."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("user_id"), int):
        return None
    if not isinstance(pending.get("until"), int) or pending["until"] < time.time():
        return None
    user = accounts.get_user(pending["user_id"])
    if user is None or not user.active or not user.has_two_factor:
        return None
    return user, str(pending.get("next") or url_for("console.index"))


@bp.route("/login/two-factor", methods=["GET", "POST"])
def login_two_factor():
    """The second step of signing in: a TOTP code or an unused recovery code."""
    pending = _pending()
    if pending is None:
        session.pop(PENDING, None)
        flash(_("Sign in again: the code step waits only a few minutes."), "info")
        return redirect(url_for("auth.login"))
    user, next_url = pending
    if request.method == "GET":
        return render_template("auth/login_two_factor.html")
    budgets = current_app.extensions["mail_budgets"]
    refusal = budgets.code_refusal(user.id)
    if refusal is not None:
        return too_many_requests("auth/login_two_factor.html", refusal)
    actor = Actor.for_user(user, client_address(), request.headers.get("User-Agent", ""))
    if not two_factor.check_code(user, request.form.get("code", ""), actor):
        budgets.code_failed(user.id)
        with write_transaction():
            audit.record(
                "user.sign_in_failed",
                actor,
                target=f"user:{user.id}",
                subject_user_id=user.id,
                details={"step": "two_factor"},
            )
        error = str(messages.WRONG_CODE)
        return render_template("auth/login_two_factor.html", error=error), 422
    _sign_in(user)
    return redirect(next_url)


def _enrolment_page(error: str | None = None, status: int = 200):
    user = current_user
    if user.has_two_factor:
        remaining = recovery_codes.remaining(user.id)
        page = render_template("auth/two_factor.html", remaining=remaining, error=error)
        return page, status
    secret = two_factor.pending_secret(user)
    uri = two_factor.provisioning_uri(user, secret)
    qr = Markup(two_factor.qr_svg(uri, _("QR code for your authenticator app")))  # noqa: S704
    context = {"secret": secret, "uri": uri, "qr": qr, "error": error}
    return render_template("auth/two_factor.html", **context), status


@bp.get("/account/two-factor")
@login_required
def two_factor_page():
    """Enrol (QR code, secret, URI, a confirming code) or, once on, manage the second factor."""
    return _enrolment_page()


def _refused_by_budgets(password_too: bool = False):
    """The enrolment page as a 429 when this user's code (or password) attempts are spent."""
    windows = [current_app.extensions["mail_budgets"].code_refusal(current_user.id)]
    if password_too:
        budgets = current_app.extensions["sign_in_budgets"]
        windows.append(budgets.refusal(current_user.email, client_address(), lambda: True))
    for window in windows:
        if window is not None:
            message, wait = wait_message(window)
            page, status = _enrolment_page(message, 429)
            return page, status, {"Retry-After": str(wait)}
    return None


def _count_failure(refused: AccountRefused) -> None:
    if isinstance(refused, two_factor.WrongCode):
        current_app.extensions["mail_budgets"].code_failed(current_user.id)
    elif isinstance(refused, WrongPassword):
        current_app.extensions["sign_in_budgets"].failed(current_user.email, client_address())


@bp.post("/account/two-factor")
@login_required
def two_factor_confirm():
    """Turn the second factor on with a code from the app; show the recovery codes once."""
    refused_now = _refused_by_budgets()
    if refused_now is not None:
        return refused_now
    try:
        codes = two_factor.confirm(current_user, request.form.get("code", ""), signed_in_actor())
    except AccountRefused as refused:
        _count_failure(refused)
        return _enrolment_page(str(refused), 422)
    return render_template("auth/recovery_codes.html", codes=codes, first_time=True)


@bp.post("/account/two-factor/restart")
@login_required
def two_factor_restart():
    """Start enrolment over with a new secret (the old one was scanned into the wrong app)."""
    try:
        two_factor.restart_enrolment(current_user)
    except AccountRefused as refused:
        flash(str(refused), "info")
    return redirect(url_for("auth.two_factor_page"))


@bp.post("/account/two-factor/recovery-codes")
@login_required
def two_factor_new_codes():
    """New recovery codes, after a code proves the device; the old ones stop working."""
    refused_now = _refused_by_budgets()
    if refused_now is not None:
        return refused_now
    try:
        codes = two_factor.regenerate_codes(
            current_user, request.form.get("code", ""), signed_in_actor()
        )
    except AccountRefused as refused:
        _count_failure(refused)
        return _enrolment_page(str(refused), 422)
    return render_template("auth/recovery_codes.html", codes=codes, first_time=False)


@bp.post("/account/two-factor/disable")
@login_required
def two_factor_disable():
    """Turn the second factor off: the password and a code are both needed."""
    refused_now = _refused_by_budgets(password_too=True)
    if refused_now is not None:
        return refused_now
    try:
        two_factor.disable(
            current_user,
            request.form.get("current_password", ""),
            request.form.get("code", ""),
            signed_in_actor(),
        )
    except AccountRefused as refused:
        _count_failure(refused)
        return _enrolment_page(str(refused), 422)
    flash(_("Your second factor is off. Signing in needs only your password now."), "success")
    return redirect(url_for("auth.account"))
