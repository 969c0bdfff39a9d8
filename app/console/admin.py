"""/admin/users for admins: roles, deactivation and reactivation, and any user's keys."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app import accounts
from app.auth import safe_next
from app.console import bp, console_actor
from app.console.keys_table import KeysTable
from app.console.labels import ROLES as ROLE_NAMES
from app.htmx import announce, is_htmx
from app.keys import service
from app.keys.service import active_key_count
from app.models import User
from app.models.columns import utcnow
from app.paging import MAX_LIMIT, MAX_ROW_ID
from app.roles import Role

P = ParamSpec("P")


def admin_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Signed in and an admin, or 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if not current_user.is_admin:
            abort(403, _("This page is for admins only."))
        return view(*args, **kwargs)

    return wrapped


def _user_or_404(user_id: int) -> User:
    user = accounts.get_user(user_id)
    if user is None:
        abort(404, _("There is no user with that id."))
    return user


@bp.get("/admin/users")
@admin_required
def admin_users() -> ResponseReturnValue:
    """Every user: email, role, active flag and number of active keys."""
    page = accounts.users_page(limit=MAX_LIMIT)
    return render_template("admin/users.html", users=page.rows, roles=Role)


@bp.post(f"/admin/users/<int(max={MAX_ROW_ID}):user_id>/role")
@admin_required
def admin_set_role(user_id: int) -> ResponseReturnValue:
    """Change a user's role; it applies to their keys from the next request."""
    user = _user_or_404(user_id)
    try:
        change = accounts.update_user(
            user, role=request.form.get("role", ""), by=current_user.id, actor=console_actor()
        )
    except accounts.AccountRefused as refused:
        abort(400, str(refused))
    message = _("Saved: %(email)s is now %(role)s.", email=user.email, role=ROLE_NAMES[user.role])
    if change.role_rose and change.empowered_keys:
        message += " " + _empowered_message(change.empowered_keys, user)
    return _user_changed(user, message)


@bp.post(f"/admin/users/<int(max={MAX_ROW_ID}):user_id>/active")
@admin_required
def admin_set_active(user_id: int) -> ResponseReturnValue:
    """Deactivate (after a confirmation) or reactivate a user."""
    user = _user_or_404(user_id)
    active = request.form.get("active") == "true"
    try:
        accounts.update_user(user, active=active, by=current_user.id, actor=console_actor())
    except accounts.AccountRefused as refused:
        abort(400, str(refused))
    if active:
        message = _("%(email)s is active again.", email=user.email)
    else:
        message = _(
            "%(email)s is deactivated: they cannot sign in, and their keys are refused.",
            email=user.email,
        )
    return _user_changed(user, message)


def _empowered_message(count: int, user: User) -> str:
    """What the admin should know: how many full keys gained power with the new role."""
    if user.role == Role.ADMIN:
        return ngettext(
            "%(num)d active key of %(email)s will reach admin endpoints.",
            "%(num)d active keys of %(email)s will reach admin endpoints.",
            count,
            email=user.email,
        )
    return ngettext(
        "%(num)d active key of %(email)s now draws on the %(role)s budget.",
        "%(num)d active keys of %(email)s now draw on the %(role)s budget.",
        count,
        email=user.email,
        role=ROLE_NAMES[user.role],
    )


def _user_changed(user: User, message: str) -> ResponseReturnValue:
    if is_htmx():
        body = render_template(
            "admin/_user_row.html",
            user=user,
            key_count=active_key_count(user.id),
            roles=Role,
            saved=message,
        )
        return body, 200, announce(message)
    flash(message, "success")
    return redirect(safe_next(request.form.get("back")) or url_for("console.admin_users"))


@bp.get(f"/admin/users/<int(max={MAX_ROW_ID}):user_id>")
@admin_required
def admin_user(user_id: int) -> ResponseReturnValue:
    """One user: their role and account, with the controls, and their keys, 50 a page."""
    user = _user_or_404(user_id)
    # Newest first, numbered pages ("51-100 of 120"), as on the user's own keys page.
    listing = KeysTable(number=KeysTable.from_args(request.args).number)
    context = {"user": user, "listed": listing.page(user.id), "listing": listing}
    return render_template("admin/user.html", roles=Role, now=utcnow(), **context)


@bp.get(f"/admin/users/<int(max={MAX_ROW_ID}):user_id>/deactivate")
@admin_required
def confirm_deactivate(user_id: int) -> ResponseReturnValue:
    """Ask before deactivating (from the users list, or from the user's page: ``?back=``)."""
    back = safe_next(request.args.get("back"))
    return render_template("admin/deactivate.html", user=_user_or_404(user_id), back=back)


@bp.post("/admin/keys/<key_id>/revoke")
@admin_required
def admin_revoke_key(key_id: str) -> ResponseReturnValue:
    """Revoke any user's key (after the confirmation on the user's page)."""
    key = service.revoke_key(key_id, owner_id=None, actor=console_actor())
    if key is None:
        abort(404, _("There is no key with that id."))
    flash(_("Key “%(name)s” of %(email)s revoked.", name=key.name, email=key.user.email), "success")
    return redirect(url_for("console.admin_user", user_id=key.user_id))
