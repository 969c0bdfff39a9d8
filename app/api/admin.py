"""Admin endpoints: every user, every key, every audit event. Other roles get 403."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import g, jsonify, request

from app import accounts
from app.api import api_actor, bp, page_args
from app.api.views import json_body
from app.audit.actions import AuditAction
from app.audit.queries import events_page
from app.audit.queries import to_dict as event_dict
from app.errors import ApiError
from app.keys import service
from app.keys.key_list import keys_page
from app.paging import is_whole_number


def admin_required(view):
    """Refuse callers whose key's user is not an admin, with 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if g.api_key.role != "admin":
            raise ApiError(403, "forbidden", "This endpoint is for admins only.")
        return view(*args, **kwargs)

    return wrapped


@bp.get("/admin/users")
@admin_required
def list_users():
    """Every user, oldest first, a page at a time, with their number of active keys."""
    limit, cursor = page_args()
    page = accounts.users_page(limit=limit, cursor=cursor)
    return jsonify(
        users=[user.to_dict(count) for user, count in page.rows], next_cursor=page.next_cursor
    )


@bp.patch("/admin/users/<int(max=2147483647):user_id>")
@admin_required
def update_user(user_id: int):
    """Change a user's role (``{"role": ...}``) or active flag (``{"active": false}``)."""
    changes = json_body()
    if not isinstance(changes, dict) or not changes:
        raise ApiError(400, "bad_request", 'Send a JSON object such as {"role": "premium"}.')
    unknown = set(changes) - {"role", "active"}
    if unknown:
        raise ApiError(400, "bad_request", f"Unknown field: {', '.join(sorted(unknown))}.")
    # update_user reads None as "leave it": a null sent here would change nothing silently.
    nulls = sorted(name for name, value in changes.items() if value is None)
    if nulls:
        raise ApiError(400, "bad_request", f"{', '.join(nulls)} cannot be null.")
    user = accounts.get_user(user_id)
    if user is None:
        raise ApiError(404, "not_found", "There is no user with that id.")
    try:
        accounts.update_user(
            user,
            role=changes.get("role"),
            active=changes.get("active"),
            by=g.api_key.user_id,
            actor=api_actor(),
        )
    except accounts.AccountRefused as refused:
        raise ApiError(400, "bad_request", str(refused)) from None
    return jsonify(user.to_dict())


@bp.get("/admin/keys")
@admin_required
def list_all_keys():
    """Every key of every user, newest first, a page at a time, with its owner."""
    limit, cursor = page_args()
    page = keys_page(owner_id=None, limit=limit, cursor=cursor, with_owner=True)
    return jsonify(
        keys=[
            {**key.to_dict(), "user": {"id": key.user_id, "email": key.user.email}}
            for key in page.rows
        ],
        next_cursor=page.next_cursor,
    )


@bp.post("/admin/keys/<key_id>/revoke")
@admin_required
def revoke_any_key(key_id: str):
    """Revoke any user's key."""
    key = service.revoke_key(key_id, owner_id=None, actor=api_actor())
    if key is None:
        raise ApiError(404, "not_found", "There is no key with that id.")
    return jsonify(key.to_dict())


@bp.get("/admin/audit")
@admin_required
def all_audit():
    """Every audit event, newest first; ``?action=`` and ``?user=`` (a user id) filter."""
    limit, cursor = page_args()
    action = request.args.get("action") or None
    if action is not None and action not in set(AuditAction):
        raise ApiError(400, "bad_request", f"Unknown action; use one of {', '.join(AuditAction)}.")
    user = request.args.get("user") or None
    if user is not None and not (is_whole_number(user) and int(user) <= 2147483647):
        raise ApiError(400, "bad_request", "user must be a user id (a whole number).")
    page = events_page(
        limit=limit, cursor=cursor, action=action, user_id=None if user is None else int(user)
    )
    return jsonify(events=[event_dict(event) for event in page.rows], next_cursor=page.next_cursor)
