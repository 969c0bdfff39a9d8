"""/activity (the user's own audit events) and /admin/audit (everyone's, for admins)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user, login_required

from app import accounts
from app.audit.actions import AuditAction
from app.audit.queries import events_page
from app.console import bp
from app.console.admin import admin_required
from app.paging import PagingError

PAGE_SIZE = 50


def _page(**filters):
    try:
        return events_page(limit=PAGE_SIZE, cursor=request.args.get("cursor") or None, **filters)
    except PagingError:
        return events_page(limit=PAGE_SIZE, **filters)


@bp.get("/activity")
@login_required
def activity():
    """What the user did, and what happened to their account and keys, newest first."""
    page = _page(own_user_id=current_user.id)
    return render_template("console/activity.html", page=page)


@bp.get("/admin/audit")
@admin_required
def admin_audit():
    """Every audit event, newest first; filtered by action and by user (an email)."""
    action = request.args.get("action", "")
    email = request.args.get("user", "").strip()
    user = accounts.get_user_by_email(email) if email else None
    filters = {"action": AuditAction(action) if action in set(AuditAction) else None}
    if email:
        filters["user_id"] = user.id if user is not None else 0  # an unknown email: nothing
    page = _page(**filters)
    return render_template(
        "admin/audit.html", page=page, actions=AuditAction, action=filters["action"], email=email
    )
