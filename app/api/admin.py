"""Admin endpoints: every user, every key, every audit event. Other roles get 403.

``admin_required`` sits above the input declarations, so a caller of another role is
refused before what they sent is read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

from flask import g, jsonify
from flask.typing import ResponseReturnValue

from app import accounts
from app.api import api_actor, bp, examples
from app.api.input import KEY_ID, USER_ID, AuditQuery, PageQuery, UserChange
from app.api.resources import resource
from app.api.schemas import AuditPage, Key, OwnedKeyPage, User, UserPage
from app.audit.actions import AuditAction
from app.audit.queries import events_page
from app.audit.queries import to_dict as event_dict
from app.errors import ApiError
from app.keys import service
from app.keys.key_list import keys_page
from app.keys.permissions import Resource
from app.paging import MAX_ROW_ID

USER_ID_RULE = f"<int(min=1, max={MAX_ROW_ID}):user_id>"

P = ParamSpec("P")


def admin_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Refuse callers whose key's user is not an admin, with 403."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if g.api_key.role != "admin":
            raise ApiError(403, "forbidden", "This endpoint is for admins only.")
        return view(*args, **kwargs)

    return wrapped


@bp.route("/admin/users")
@resource(Resource.ADMIN)
@admin_required
@bp.arguments(PageQuery, location="query")
@bp.response(200, UserPage, example=examples.USER_PAGE)
def list_users(query: dict[str, Any]) -> ResponseReturnValue:
    """List users.

    Every user, oldest account first, a page at a time, with their number of active keys.
    """
    page = accounts.users_page(limit=query["limit"], cursor=query["cursor"])
    return jsonify(
        users=[user.to_dict(count) for user, count in page.rows], next_cursor=page.next_cursor
    )


@bp.route(f"/admin/users/{USER_ID_RULE}", methods=["PATCH"], parameters=[USER_ID])
@resource(Resource.ADMIN)
@admin_required
@bp.arguments(UserChange, examples=examples.USER_CHANGES)
@bp.response(200, User, example=examples.USER_ROW)
def update_user(changes: dict[str, Any], user_id: int) -> ResponseReturnValue:
    """Change a user's role or active flag.

    Sets the role, the active flag, or both; the user's keys act on it from their next
    request. Refused with 400: an admin demoting or deactivating themselves, and a change
    that would leave no active admin.
    """
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


@bp.route("/admin/keys")
@resource(Resource.ADMIN)
@admin_required
@bp.arguments(PageQuery, location="query")
@bp.response(200, OwnedKeyPage, example=examples.OWNED_KEY_PAGE)
def list_all_keys(query: dict[str, Any]) -> ResponseReturnValue:
    """List every key.

    Every key of every user, newest first, a page at a time, with its owner.
    """
    page = keys_page(owner_id=None, limit=query["limit"], cursor=query["cursor"], with_owner=True)
    return jsonify(
        keys=[
            {**key.to_dict(), "user": {"id": key.user_id, "email": key.user.email}}
            for key in page.rows
        ],
        next_cursor=page.next_cursor,
    )


@bp.route("/admin/keys/<key_id>/revoke", methods=["POST"], parameters=[KEY_ID])
@resource(Resource.ADMIN)
@admin_required
@bp.response(200, Key, example=examples.REVOKED_KEY)
def revoke_any_key(key_id: str) -> ResponseReturnValue:
    """Revoke any key.

    Revokes any user's key, at once and for good.
    """
    key = service.revoke_key(key_id, owner_id=None, actor=api_actor())
    if key is None:
        raise ApiError(404, "not_found", "There is no key with that id.")
    return jsonify(key.to_dict())


@bp.route("/admin/audit")
@resource(Resource.ADMIN)
@admin_required
@bp.arguments(AuditQuery, location="query")
@bp.response(200, AuditPage, example={**examples.AUDIT_PAGE, "next_cursor": None})
def list_audit_events(query: dict[str, Any]) -> ResponseReturnValue:
    """Every audit event.

    Every audit event, newest first, a page at a time; filter by action, by user (who
    acted or was acted on), by actor (who acted) and by time (since, until).
    """
    action = query.get("action")
    page = events_page(
        limit=query["limit"],
        cursor=query["cursor"],
        action=AuditAction(action) if action else None,
        user_id=query.get("user"),
        actor_id=query.get("actor"),
        since=query.get("since"),
        until=query.get("until"),
    )
    return jsonify(events=[event_dict(event) for event in page.rows], next_cursor=page.next_cursor)
