"""Resetting a forgotten password: ask for a link by email, then set a new password with it."""

from __future__ import annotations

from flask import (
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
from flask_login import logout_user

from app.accounts import AccountRefused
from app.accounts.password_reset import LinkGone, request_reset, reset_password, user_of_link
from app.auth import bp
from app.auth.answers import password_checks, too_busy, too_many_attempts, visitor
from app.auth.password_checks import ChecksBusy
from app.models.columns import EMAIL_LENGTH
from app.ratelimit import client_address


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
        return too_many_attempts("auth/password_reset.html", refusal, email=email)
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
    context = {"token": token, "email": user.email}
    try:
        with password_checks().slot():  # the new password's hash is a bcrypt run
            reset_password(
                token,
                request.form.get("new_password"),
                rounds=current_app.config["BCRYPT_ROUNDS"],
                actor=visitor(),
            )
    except ChecksBusy as busy:
        return too_busy("auth/password_reset_new.html", busy.retry_after, **context)
    except AccountRefused as refused:
        page = render_template("auth/password_reset_new.html", error=str(refused), **context)
        return page, 422
    except LinkGone:
        return link_gone()
    # Whoever was signed in here is signed out too: the new password starts afresh.
    logout_user()
    session.clear()
    flash(_("Your new password is set, and every session was signed out. Sign in with it."))
    return redirect(url_for("auth.login"))
