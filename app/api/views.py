"""The caller's own resources: the echo endpoint, who am I, my keys, their usage, my events."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from app.api import api_actor, bp, page_args
from app.audit.queries import events_page
from app.audit.queries import to_dict as event_dict
from app.errors import ApiError
from app.keys import service
from app.keys.key_list import keys_page
from app.ratelimit import rate_limit_for
from app.usage import store as usage_store


def json_body() -> Any:
    """The request's JSON body, or None when it has none; 400 when it is not valid JSON.

    Any content type is read as JSON (clients often forget the header). Past
    ``MAX_CONTENT_LENGTH`` Werkzeug answers 413; a body that stops short, 400; a client
    that stalls mid-body (gunicorn.conf.py bounds every read), 408.
    """
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return None  # no body at all (a GET, say): nothing to read
    try:
        raw = request.get_data(cache=False)
        limit = request.max_content_length
        # Werkzeug cuts a chunked body (no Content-Length) at the limit without a word: one
        # more byte waiting behind it means the body was too big.
        if limit and len(raw) >= limit and request.environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge
    except ClientDisconnected as disconnected:
        if isinstance(disconnected.__context__, TimeoutError):
            raise ApiError(
                408, "request_timeout", "The request body was not sent in time."
            ) from None
        raise
    if not raw.strip():
        return None
    try:
        return current_app.json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_request", "The request body is not valid JSON.") from None


@bp.route("/endpoint", methods=["GET", "POST"])
def endpoint():
    """Echo who called, with which key, and the JSON body they sent."""
    api_key = g.api_key
    return jsonify(
        ok=True,
        user={"id": api_key.user_id, "email": api_key.email, "role": api_key.role},
        key={"id": api_key.key_id, "name": api_key.name},
        received=json_body(),
    )


@bp.get("/me")
def me():
    """The user behind the key, with the rate limit their role gives them."""
    api_key = g.api_key
    return jsonify(
        id=api_key.user_id,
        email=api_key.email,
        role=api_key.role,
        rate_limit=rate_limit_for(api_key.role),
    )


@bp.get("/keys")
def list_keys():
    """The caller's keys, newest first, a page at a time: never a secret or a hash."""
    limit, cursor = page_args()
    page = keys_page(owner_id=g.api_key.user_id, limit=limit, cursor=cursor)
    return jsonify(keys=[key.to_dict() for key in page.rows], next_cursor=page.next_cursor)


@bp.get("/keys/<key_id>/usage")
def key_usage(key_id: str):
    """One of the caller's keys' requests and refusals for each of the last 30 UTC days."""
    key = service.get_key(key_id, owner_id=g.api_key.user_id)
    if key is None:
        raise ApiError(404, "not_found", "You have no key with that id.")
    return jsonify(key=key.key_id, days=usage_store.last_days(key.id))


@bp.post("/keys/<key_id>/revoke")
def revoke_key(key_id: str):
    """Revoke one of the caller's keys (another user's key id is a 404)."""
    key = service.revoke_key(key_id, owner_id=g.api_key.user_id, actor=api_actor())
    if key is None:
        raise ApiError(404, "not_found", "You have no key with that id.")
    return jsonify(key.to_dict())


@bp.get("/audit")
def own_audit():
    """The caller's own audit events, newest first: what they did, and what concerns them."""
    limit, cursor = page_args()
    page = events_page(limit=limit, cursor=cursor, own_user_id=g.api_key.user_id)
    return jsonify(events=[event_dict(event) for event in page.rows], next_cursor=page.next_cursor)
