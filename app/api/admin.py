"""Admin endpoints: every user and every key. Other roles get 403."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import g, jsonify

from app import accounts
from app.api import bp
from app.api.views import json_body
from app.errors import ApiError
from app.keys import service


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
    """Every user, with their number of active keys."""
    return jsonify(users=[user.to_dict(count) for user, count in accounts.list_users()])


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
    user = accounts.get_user(user_id)
    if user is None:
        raise ApiError(404, "not_found", "There is no user with that id.")
    try:
        accounts.update_user(
            user, role=changes.get("role"), active=changes.get("active"), by=g.api_key.user_id
        )
    except accounts.AccountRefused as refused:
        raise ApiError(400, "bad_request", str(refused)) from None
    return jsonify(user.to_dict())


@bp.get("/admin/keys")
@admin_required
def list_all_keys():
    """Every key of every user, newest first, with its owner's id and email."""
    return jsonify(
        keys=[
            {**key.to_dict(), "user": {"id": key.user_id, "email": key.user.email}}
            for key in service.list_keys(with_owner=True)
        ]
    )


@bp.post("/admin/keys/<key_id>/revoke")
@admin_required
def revoke_any_key(key_id: str):
    """Revoke any user's key."""
    key = service.revoke_key(key_id, owner_id=None)
    if key is None:
        raise ApiError(404, "not_found", "There is no key with that id.")
    return jsonify(key.to_dict())
