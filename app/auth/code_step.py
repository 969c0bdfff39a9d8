"""The second step of signing in: a TOTP code or a recovery code at /login/two-factor.

A user with a second factor who gives the right password gets no session: only a short
pending mark in the Flask session (whose cookie is signed), good for a few minutes, that
this step needs. The right code there starts the session; wrong ones count against the
user's code budget, from any address.
"""

from __future__ import annotations

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from app import accounts, audit
from app.accounts import security_messages as messages
from app.accounts import two_factor
from app.audit import Actor
from app.audit.actions import AuditAction
from app.auth import bp, safe_next
from app.auth.answers import too_many_attempts
from app.auth.views import sign_in
from app.database import write_transaction
from app.models import User
from app.ratelimit import client_address

PENDING = "two_factor_pending"
PENDING_SECONDS = 300


def start_second_step(user: User, next_url: str) -> BaseResponse:
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
def login_two_factor() -> ResponseReturnValue:
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
        return too_many_attempts("auth/login_two_factor.html", refusal)
    actor = Actor.for_user(user, client_address(), request.headers.get("User-Agent", ""))
    if not two_factor.check_code(user, request.form.get("code", ""), actor):
        budgets.code_failed(user.id)
        with write_transaction():
            audit.record(
                AuditAction.USER_SIGN_IN_FAILED,
                actor,
                target=f"user:{user.id}",
                subject_user_id=user.id,
                details={"step": "two_factor"},
            )
        error = str(messages.WRONG_CODE)
        return render_template("auth/login_two_factor.html", error=error), 422
    sign_in(user)
    return redirect(next_url)
