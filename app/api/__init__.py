"""The JSON API under /api, authenticated by the ``X-API-Key`` header only."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from app.audit import Actor
from app.errors import ApiError, api_error_response
from app.paging import PagingError, parse_page_size
from app.ratelimit import client_address

bp = Blueprint("api", __name__, url_prefix="/api")


def page_args() -> tuple[int, str | None]:
    """``?limit=`` and ``?cursor=`` of a list, or a 400 saying what is wrong with them."""
    try:
        return parse_page_size(request.args.get("limit")), request.args.get("cursor") or None
    except PagingError as error:
        raise ApiError(400, "bad_request", str(error)) from None


def api_actor() -> Actor:
    """Who is acting through this request: the key's user, from the client's address."""
    key = g.api_key
    return Actor(key.user_id, key.email, client_address(), request.user_agent.string)


@bp.errorhandler(PagingError)
def bad_page(error: PagingError) -> Response:
    """A cursor the API never gave out is the client's mistake: 400."""
    return api_error_response(ApiError(400, "bad_request", str(error)))


from app.api import admin, views  # noqa: E402, F401  (the routes register themselves on bp)
