"""The JSON API under /api, authenticated by the ``X-API-Key`` header only.

Its blueprint is flask-smorest's: each view declares its query string, body and answer
with schemas (app/api/schemas.py), which validate the input and make /openapi.json.
"""

from __future__ import annotations

import flask_smorest
from flask import Response, g, request

from app.api.input import ArgumentsParser
from app.audit import Actor
from app.errors import ApiError, api_error_response
from app.paging import PagingError
from app.ratelimit import client_address


class ApiBlueprint(flask_smorest.Blueprint):
    """A blueprint whose declared input is refused in the API's error shape."""

    ARGUMENTS_PARSER = ArgumentsParser()


bp = ApiBlueprint("api", __name__, url_prefix="/api")


def api_actor() -> Actor:
    """Who is acting through this request: the key's user, from the client's address."""
    key = g.api_key
    return Actor(key.user_id, key.email, client_address(), request.user_agent.string)


@bp.errorhandler(PagingError)
def bad_page(error: PagingError) -> Response:
    """A cursor the API never gave out is the client's mistake: 400."""
    return api_error_response(ApiError(400, "bad_request", str(error)))


from app.api import admin, leaks, views  # noqa: E402, F401  (the routes register themselves on bp)
