"""/activity (the user's own audit events) and /admin/audit (everyone's, for admins)."""

from __future__ import annotations

from functools import partial

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app import accounts
from app.audit.actions import AuditAction
from app.audit.queries import SeenEvent, events_page
from app.console import bp
from app.console.admin import admin_required
from app.paging import Page, PagingError

PAGE_SIZE = 50


def _page(
    own_user_id: int | None = None,
    action: AuditAction | None = None,
    user_id: int | None = None,
) -> Page[SeenEvent]:
    page = partial(
        events_page, limit=PAGE_SIZE, own_user_id=own_user_id, action=action, user_id=user_id
    )
    try:
        return page(cursor=request.args.get("cursor") or None)
    except PagingError:
        return page()


@bp.get("/activity")
@login_required
def activity() -> ResponseReturnValue:
    """What the user did, and what happened to their account and keys, newest first."""
    page = _page(own_user_id=current_user.id)
    return render_template("console/activity.html", page=page)


@bp.get("/admin/audit")
@admin_required
def admin_audit() -> ResponseReturnValue:
    """Every audit event, newest first; filtered by action and by user (an email)."""
    action = request.args.get("action", "")
    email = request.args.get("user", "").strip()
    user = accounts.get_user_by_email(email) if email else None
    chosen = AuditAction(action) if action in set(AuditAction) else None
    user_id = None
    if email:
        user_id = user.id if user is not None else 0  # an unknown email: nothing
    page = _page(action=chosen, user_id=user_id)
    return render_template(
        "admin/audit.html", page=page, actions=AuditAction, action=chosen, email=email
    )
