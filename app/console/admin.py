"""/admin/users: every user with role, active flag and key count; admins change roles."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import accounts
from app.console import bp, console_actor
from app.htmx import announce, is_htmx
from app.keys.service import active_key_count
from app.models import ROLES
from app.paging import MAX_LIMIT


def admin_required(view):
    """Signed in and an admin, or 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any):
        if not current_user.is_admin:
            abort(403, "This page is for admins only.")
        return view(*args, **kwargs)

    return wrapped


@bp.get("/admin/users")
@admin_required
def admin_users():
    """Every user: email, role, active flag and number of active keys."""
    page = accounts.users_page(limit=MAX_LIMIT)
    return render_template("admin/users.html", users=page.rows, roles=ROLES)


@bp.post("/admin/users/<int(max=2147483647):user_id>/role")
@admin_required
def admin_set_role(user_id: int):
    """Change a user's role; it applies to their keys from the next request."""
    user = accounts.get_user(user_id)
    if user is None:
        abort(404, "There is no user with that id.")
    try:
        change = accounts.update_user(
            user, role=request.form.get("role", ""), by=current_user.id, actor=console_actor()
        )
    except accounts.AccountRefused as refused:
        abort(400, str(refused))
    message = f"{user.email} is now {user.role}."
    if change.role_rose and change.empowered_keys:
        message += (
            f" {change.empowered_keys} active keys of {user.email} will reach "
            f"{user.role} endpoints."
        )
    if is_htmx():
        count = active_key_count(user.id)
        body = render_template("admin/_user_row.html", user=user, key_count=count, roles=ROLES)
        return body, 200, announce(message)
    flash(message, "success")
    return redirect(url_for("console.admin_users"))
