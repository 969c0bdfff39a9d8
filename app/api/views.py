"""The caller's own resources: the echo endpoint, who am I, my keys, their usage, my events.

Each view declares what it takes and answers (schemas.py); the answers every operation
shares, errors and rate-limit headers, are declared once in app/openapi/answers.py. A
view's docstring is its operation's summary (first line) and description (the rest).
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify
from flask.typing import ResponseReturnValue

from app.api import api_actor, bp, examples
from app.api.input import KEY_ID, PageQuery, json_body
from app.api.resources import resource
from app.api.schemas import AuditPage, Echo, Key, KeyPage, Me, Usage
from app.audit.queries import events_page
from app.audit.queries import to_dict as event_dict
from app.errors import ApiError
from app.keys import service
from app.keys.key_list import keys_page
from app.keys.permissions import Resource
from app.ratelimit import rate_limit_for
from app.usage import store as usage_store

ANY_JSON = {
    "required": False,
    "description": "Any JSON value; any content type is read as JSON.",
    "content": {"application/json": {"schema": {}, "example": {"key": "value"}}},
}


def _echo() -> Response:
    api_key = g.api_key
    return jsonify(
        ok=True,
        user={"id": api_key.user_id, "email": api_key.email, "role": api_key.role},
        key={"id": api_key.key_id, "name": api_key.name},
        received=json_body(),
    )


@bp.route("/endpoint", methods=["GET"])
@resource(Resource.ENDPOINT)
@bp.response(200, Echo, example={**examples.ECHO, "received": None})
def echo_get() -> ResponseReturnValue:
    """Check a key.

    Answers who called and with which key; `received` is null. The cheapest way to test a
    key.
    """
    return _echo()


@bp.route("/endpoint", methods=["POST"])
@resource(Resource.ENDPOINT)
@bp.response(200, Echo, example=examples.ECHO)
@bp.doc(requestBody=ANY_JSON)
def echo() -> ResponseReturnValue:
    """Echo a JSON body.

    Answers who called, with which key, and the JSON body sent (null when there was none).
    """
    return _echo()


@bp.route("/me")
@resource(None)
@bp.response(200, Me, example=examples.ME)
def get_me() -> ResponseReturnValue:
    """Who am I.

    The user behind the key, with the budget their role gives them.
    """
    api_key = g.api_key
    return jsonify(
        id=api_key.user_id,
        email=api_key.email,
        role=api_key.role,
        rate_limit=rate_limit_for(api_key.role),
    )


@bp.route("/keys")
@resource(Resource.KEYS)
@bp.arguments(PageQuery, location="query")
@bp.response(200, KeyPage, example=examples.KEY_PAGE)
def list_keys(query: dict[str, Any]) -> ResponseReturnValue:
    """List your keys.

    The caller's keys, newest first, a page at a time: never a secret or a hash.
    """
    page = keys_page(owner_id=g.api_key.user_id, limit=query["limit"], cursor=query["cursor"])
    return jsonify(keys=[key.to_dict() for key in page.rows], next_cursor=page.next_cursor)


@bp.route("/keys/<key_id>/usage", parameters=[KEY_ID])
@resource(Resource.KEYS)
@bp.response(200, Usage, example=examples.USAGE)
def get_key_usage(key_id: str) -> ResponseReturnValue:
    """A key's daily usage.

    Requests and refusals of one of the caller's keys for each of the last 30 UTC days,
    oldest first. Refusals (401, 403, 429) of a revoked or expired key still in use show
    up here.
    """
    key = service.get_key(key_id, owner_id=g.api_key.user_id)
    if key is None:
        raise ApiError(404, "not_found", "You have no key with that id.")
    return jsonify(key=key.key_id, days=usage_store.last_days(key.id))


@bp.route("/keys/<key_id>/revoke", methods=["POST"], parameters=[KEY_ID])
@resource(Resource.KEYS)
@bp.response(200, Key, example=examples.REVOKED_KEY)
def revoke_key(key_id: str) -> ResponseReturnValue:
    """Revoke one of your keys.

    Revokes the key at once and for good: its very next request gets 401. Another user's
    key id is a 404. Revoking a revoked key answers it as it is.
    """
    key = service.revoke_key(key_id, owner_id=g.api_key.user_id, actor=api_actor())
    if key is None:
        raise ApiError(404, "not_found", "You have no key with that id.")
    return jsonify(key.to_dict())


@bp.route("/keys/<key_id>/disable", methods=["POST"], parameters=[KEY_ID])
@resource(Resource.KEYS)
@bp.response(200, Key, example=examples.DISABLED_KEY)
def disable_key(key_id: str) -> ResponseReturnValue:
    """Disable one of your keys.

    The key's very next request gets 401 `disabled_api_key`, until it is enabled again.
    Another user's key id is a 404. Disabling a disabled or revoked key answers it as it is.
    """
    key = service.disable_key(key_id, owner_id=g.api_key.user_id, actor=api_actor())
    if key is None:
        raise ApiError(404, "not_found", "You have no key with that id.")
    return jsonify(key.to_dict())


@bp.route("/keys/<key_id>/enable", methods=["POST"], parameters=[KEY_ID])
@resource(Resource.KEYS)
@bp.response(200, Key, example=examples.KEY)
def enable_key(key_id: str) -> ResponseReturnValue:
    """Enable one of your keys.

    A disabled key works again from its next request. A revoked or expired key cannot be
    enabled: 409 `conflict`. Another user's key id is a 404.
    """
    try:
        key = service.enable_key(key_id, owner_id=g.api_key.user_id, actor=api_actor())
    except service.CannotEnable as error:
        raise ApiError(409, "conflict", str(error)) from None
    if key is None:
        raise ApiError(404, "not_found", "You have no key with that id.")
    return jsonify(key.to_dict())


@bp.route("/audit")
@resource(Resource.AUDIT)
@bp.arguments(PageQuery, location="query")
@bp.response(200, AuditPage, example=examples.AUDIT_PAGE)
def list_own_audit_events(query: dict[str, Any]) -> ResponseReturnValue:
    """Your audit events.

    What the caller did, and what was done to them or their keys, newest first, a page at
    a time.
    """
    page = events_page(limit=query["limit"], cursor=query["cursor"], own_user_id=g.api_key.user_id)
    return jsonify(events=[event_dict(event) for event in page.rows], next_cursor=page.next_cursor)
