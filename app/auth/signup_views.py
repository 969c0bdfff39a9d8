"""Finishing a sign-up: the mailed link, then the password chosen at sign-up once more."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.accounts import AccountRefused
from app.accounts.password_changes import WrongPassword
from app.accounts.signup import LinkGone, confirm_sign_up, pending_sign_up
from app.auth import bp
from app.auth.answers import password_checks, too_busy, too_many_attempts, visitor
from app.auth.password_checks import ChecksBusy
from app.auth.reset_views import link_gone
from app.auth.views import sign_in
from app.ratelimit import client_address


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
def confirm_signup(token: str) -> ResponseReturnValue:
    """Make the account once its owner gives the password they chose; then sign them in."""
    if not current_app.config["SIGNUP_ENABLED"]:
        abort(404)
    link = pending_sign_up(token)
    if link is None:
        return link_gone()
    context = {"token": token, "email": link.email}
    if request.method == "GET":
        return render_template("auth/signup_confirm.html", **context)
    budgets = current_app.extensions["sign_in_budgets"]
    address = client_address()
    refusal = budgets.refusal(link.email, address, lambda: False)
    if refusal is not None:
        return too_many_attempts("auth/signup_confirm.html", refusal, **context)
    try:
        with password_checks().slot():  # the password is checked against the link's hash
            user = confirm_sign_up(
                token,
                request.form.get("password"),
                rounds=current_app.config["BCRYPT_ROUNDS"],
                actor=visitor(),
            )
    except ChecksBusy as busy:
        return too_busy("auth/signup_confirm.html", busy.retry_after, **context)
    except LinkGone:
        return link_gone()
    except WrongPassword as refused:
        budgets.failed(link.email, address)
        return render_template("auth/signup_confirm.html", error=str(refused), **context), 422
    except AccountRefused as refused:  # taken, or too like another account: final
        return render_template("auth/signup_refused.html", error=str(refused)), 422
    sign_in(user)
    flash(_("Your address is confirmed. Welcome! Create your first API key below."), "success")
    return redirect(url_for("console.index"))
