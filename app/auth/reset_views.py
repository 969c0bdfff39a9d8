"""Resetting a forgotten password: ask for a link by email, then set a new password with it."""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import logout_user
from limits import WindowStats

from app.accounts import AccountRefused
from app.accounts.password_reset import LinkGone, request_reset, reset_password, user_of_link
from app.audit import Actor
from app.auth import bp
from app.metrics import RATE_LIMITED
from app.models.columns import EMAIL_LENGTH
from app.ratelimit import client_address, seconds_until


def visitor() -> Actor:
    """Nobody signed in, from this client's address and browser."""
    return Actor(None, "", client_address(), request.headers.get("User-Agent", ""))


def wait_message(window: WindowStats) -> tuple[str, int]:
    """The "too many attempts, try again in N seconds" message, and N."""
    RATE_LIMITED.labels("sign_in", "").inc()
    wait = seconds_until(window.reset_time)
    message = ngettext(
        "Too many attempts. Try again in %(num)d second.",
        "Too many attempts. Try again in %(num)d seconds.",
        wait,
    )
    return message, wait


def too_many_requests(template: str, window: WindowStats, **context: object) -> Response:
    """``template`` with a "try again in N seconds" message, as a 429 with Retry-After."""
    message, wait = wait_message(window)
    response = make_response(render_template(template, error=message, **context), 429)
    response.headers["Retry-After"] = str(wait)
    return response


def link_gone() -> tuple[str, int]:
    """The page for a link that was used already or has expired."""
    return render_template("auth/link_gone.html"), 410


def _reset_link(token: str, locale: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    lang_code = locale if locale in languages else g.lang_code
    return url_for("auth.password_reset_link", token=token, lang_code=lang_code, _external=True)


@bp.route("/password-reset", methods=["GET", "POST"])
def password_reset() -> ResponseReturnValue:
    """Ask for a reset link; the answer is the same whether or not the email has an account."""
    if request.method == "GET":
        return render_template("auth/password_reset.html", email="")
    email = request.form.get("email", "")[: 4 * EMAIL_LENGTH]
    budgets = current_app.extensions["mail_budgets"]
    address = client_address()
    refusal = budgets.mail_refusal(email, address)
    if refusal is not None:
        return too_many_requests("auth/password_reset.html", refusal, email=email)
    budgets.mail_requested(email, address)
    request_reset(email, actor=visitor(), link_for=_reset_link)
    return render_template("auth/password_reset_sent.html", email=email.strip())


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def password_reset_link(token: str) -> ResponseReturnValue:
    """The mailed link: choose a new password (once, within the hour); every session ends."""
    user = user_of_link(token)
    if user is None:
        return link_gone()
    if request.method == "GET":
        return render_template("auth/password_reset_new.html", token=token, email=user.email)
    try:
        reset_password(
            token,
            request.form.get("new_password"),
            rounds=current_app.config["BCRYPT_ROUNDS"],
            actor=visitor(),
        )
    except AccountRefused as refused:
        context = {"token": token, "email": user.email, "error": str(refused)}
        return render_template("auth/password_reset_new.html", **context), 422
    except LinkGone:
        return link_gone()
    # Whoever was signed in here is signed out too: the new password starts afresh.
    logout_user()
    session.clear()
    flash(_("Your new password is set, and every session was signed out. Sign in with it."))
    return redirect(url_for("auth.login"))
