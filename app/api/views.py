"""The caller's own resources: the echo endpoint, who am I, my keys."""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from flask import g, jsonify, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wsgi import get_content_length

from app.api import bp
from app.errors import ApiError
from app.keys import service
from app.ratelimit import rate_limit_for


def _not_json(constant: str) -> None:
    # Python's parser accepts NaN and Infinity, which no JSON client could read back.
    raise ValueError(f"{constant} is not JSON")


# Made once: json.loads with any option builds a new decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_not_json)


def json_body() -> Any:
    """The request's JSON body, or None when it has none; 400 when it is not valid JSON."""
    environ = request.environ
    # What request.content_length says, read from the environ without building headers.
    length = get_content_length(environ)
    if length == 0 or (length is None and "HTTP_TRANSFER_ENCODING" not in environ):
        return None  # no body at all (a GET, say): nothing to read
    if length is not None:
        raw = _read_announced(environ["wsgi.input"], length)
    else:
        raw = request.get_data()
        limit = request.max_content_length  # the limit request.stream cut it at
        # A chunked body is cut at the limit without a word: one more byte waiting behind it
        # means the body was too big.
        if limit and len(raw) >= limit and environ["wsgi.input"].read(1):
            raise RequestEntityTooLarge
    if not raw.strip():
        return None
    try:
        return _DECODER.decode(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        # RecursionError: "[[[[..." nested deeper than the parser goes is bad input too.
        raise ApiError(400, "bad_request", "The request body is not valid JSON.") from None


def _read_announced(stream: BinaryIO, length: int) -> bytes:
    """The body of a request that announced its Content-Length, read in one call.

    Straight from ``wsgi.input``, reading exactly the announced size (which is all that
    ``request.stream`` would add for such a body, through three layers of Python per read).
    """
    limit = request.max_content_length
    if limit is not None and length > limit:
        raise RequestEntityTooLarge
    try:
        raw = stream.read(length)
    except (OSError, ValueError):
        # The client hung up mid-body (what request.stream would also have made a 400).
        raise ClientDisconnected from None
    if len(raw) != length:
        raise ApiError(400, "bad_request", "The request body is shorter than its Content-Length.")
    return raw


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
    """The caller's keys, newest first: never a secret or a hash."""
    return jsonify(keys=[key.to_dict() for key in service.list_keys(g.api_key.user_id)])


@bp.post("/keys/<key_id>/revoke")
def revoke_key(key_id: str):
    """Revoke one of the caller's keys (another user's key id is a 404)."""
    key = service.revoke_key(key_id, owner_id=g.api_key.user_id)
    if key is None:
        raise ApiError(404, "not_found", "You have no key with that id.")
    return jsonify(key.to_dict())
