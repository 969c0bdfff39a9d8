"""The account's own pages: change the password, sign out of one session, choose notices."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from app.accounts import AccountRefused
from app.accounts.notice_settings import set_notices
from app.accounts.password_changes import WrongPassword, change_password
from app.auth import SESSION_TOKEN, bp, sessions
from app.auth.answers import password_checks, too_busy, too_many_sign_ins
from app.auth.password_checks import ChecksBusy
from app.auth.session_names import end_one, session_name
from app.console import console_actor
from app.paging import MAX_ROW_ID
from app.ratelimit import client_address


def this_session_hash() -> str:
    """The token hash of the session making this request."""
    return sessions.hash_of(session.get(SESSION_TOKEN, ""))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password_page() -> ResponseReturnValue:
    """Change the password with the current one; every other session ends."""
    if request.method == "GET":
        return render_template("auth/password.html")
    budgets = current_app.extensions["sign_in_budgets"]
    address = client_address()
    refusal = budgets.refusal(current_user.email, address, lambda: True)
    if refusal is not None:
        return too_many_sign_ins("auth/password.html", refusal)
    try:
        # Two bcrypt runs (the current password, the new one's hash). A signed-in user is
        # no stranger: the budget kept for usual addresses is theirs too.
        with password_checks().slot(lambda: True):
            ended = change_password(
                current_user,
                request.form.get("current_password"),
                request.form.get("new_password"),
                rounds=current_app.config["BCRYPT_ROUNDS"],
                actor=console_actor(),
                keep_session=session.get(SESSION_TOKEN, ""),
            )
    except ChecksBusy as busy:
        return too_busy("auth/password.html", busy.retry_after)
    except AccountRefused as refused:
        if isinstance(refused, WrongPassword):  # a guess at the password: counted like sign-in
            budgets.failed(current_user.email, address)
        return render_template("auth/password.html", error=str(refused)), 422
    flash(
        ngettext(
            "Your password is changed. %(num)d other session was signed out.",
            "Your password is changed. %(num)d other sessions were signed out.",
            ended,
        )
        if ended
        else _("Your password is changed."),
        "success",
    )
    return redirect(url_for("auth.account"))


@bp.post(f"/account/sessions/<int(max={MAX_ROW_ID}):session_id>/end")
@login_required
def end_session(session_id: int) -> ResponseReturnValue:
    """Sign out of one session (a lost phone, a shared computer); this one signs out here."""
    ended = end_one(current_user.id, session_id, console_actor())
    if ended is None:
        abort(404)
    if ended.token_hash == this_session_hash():
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
        return redirect(url_for("auth.login"))
    flash(_("Signed out of %(name)s.", name=session_name(ended.user_agent)), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/notices")
@login_required
def notice_settings() -> ResponseReturnValue:
    """Turn the mail about expiring keys and new networks on or off (a plain form)."""
    set_notices(
        current_user,
        expiry=request.form.get("notify_expiry") == "on",
        new_network=request.form.get("notify_new_network") == "on",
    )
    flash(_("Your notice settings are saved."), "success")
    return redirect(url_for("auth.account"))
