"""The second factor on /account/two-factor: enrol, make new recovery codes, turn it off.

Every wrong code counts against the user's code budget, and every wrong password against
the sign-in budgets, as at sign-in (the sign-in code step is in ``code_step.py``).
"""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app.accounts import AccountRefused, recovery_codes, two_factor
from app.accounts.password_changes import WrongPassword
from app.auth import bp
from app.auth.answers import attempts_message, busy_message, password_checks
from app.auth.password_checks import ChecksBusy
from app.console import console_actor
from app.ratelimit import client_address


def _enrolment_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
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
def two_factor_page() -> ResponseReturnValue:
    """Enrol (QR code, secret, URI, a confirming code) or, once on, manage the second factor."""
    return _enrolment_page()


def _refused_by_budgets(password_too: bool = False) -> tuple[str, int, dict[str, str]] | None:
    """The enrolment page as a 429 when this user's code (or password) attempts are spent."""
    windows = [current_app.extensions["mail_budgets"].code_refusal(current_user.id)]
    if password_too:
        budgets = current_app.extensions["sign_in_budgets"]
        windows.append(budgets.refusal(current_user.email, client_address(), lambda: True))
    for window in windows:
        if window is not None:
            message, wait = attempts_message(window)
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
def two_factor_confirm() -> ResponseReturnValue:
    """Turn the second factor on with a code from the app; show the recovery codes once."""
    refused_now = _refused_by_budgets()
    if refused_now is not None:
        return refused_now
    try:
        codes = two_factor.confirm(current_user, request.form.get("code", ""), console_actor())
    except AccountRefused as refused:
        _count_failure(refused)
        return _enrolment_page(str(refused), 422)
    return render_template("auth/recovery_codes.html", codes=codes, first_time=True)


@bp.post("/account/two-factor/restart")
@login_required
def two_factor_restart() -> ResponseReturnValue:
    """Start enrolment over with a new secret (the old one was scanned into the wrong app)."""
    try:
        two_factor.restart_enrolment(current_user)
    except AccountRefused as refused:
        flash(str(refused), "info")
    return redirect(url_for("auth.two_factor_page"))


@bp.post("/account/two-factor/recovery-codes")
@login_required
def two_factor_new_codes() -> ResponseReturnValue:
    """New recovery codes, after a code proves the device; the old ones stop working."""
    refused_now = _refused_by_budgets()
    if refused_now is not None:
        return refused_now
    try:
        codes = two_factor.regenerate_codes(
            current_user, request.form.get("code", ""), console_actor()
        )
    except AccountRefused as refused:
        _count_failure(refused)
        return _enrolment_page(str(refused), 422)
    return render_template("auth/recovery_codes.html", codes=codes, first_time=False)


@bp.post("/account/two-factor/disable")
@login_required
def two_factor_disable() -> ResponseReturnValue:
    """Turn the second factor off: the password and a code are both needed."""
    refused_now = _refused_by_budgets(password_too=True)
    if refused_now is not None:
        return refused_now
    try:
        with password_checks().slot(lambda: True):  # the password is a bcrypt check
            two_factor.disable(
                current_user,
                request.form.get("current_password", ""),
                request.form.get("code", ""),
                console_actor(),
            )
    except ChecksBusy as busy:
        page, status = _enrolment_page(busy_message(busy.retry_after), 429)
        return page, status, {"Retry-After": str(busy.retry_after)}
    except AccountRefused as refused:
        _count_failure(refused)
        return _enrolment_page(str(refused), 422)
    flash(_("Your second factor is off. Signing in needs only your password now."), "success")
    return redirect(url_for("auth.account"))
