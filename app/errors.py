"""Every error answer, in one place.

Under /api the answer is JSON, ``{"error": {"code": ..., "message": ...}}``; elsewhere a
friendly page, or for an HTMX request a fragment retargeted to the page's message area.
No answer ever carries a traceback or an internal detail; those go to the log. Every
refusal under /api (401, 403, 429) is logged once, at INFO: its reason, the key id when the
presented key has one, the client address and (from the log filter) the request id; never
the key.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from app.extensions import login_manager
from app.htmx import is_htmx
from app.http import is_api_request
from app.i18n import localized_redirect
from app.keys.format import parse_key
from app.keys.lookup import StoreUnavailable
from app.ratelimit import client_address

log = logging.getLogger(__name__)

API_KEY_CHALLENGE = 'ApiKey header="X-API-Key"'
RETRY_AFTER_UNAVAILABLE_SECONDS = 5
UNAVAILABLE_MESSAGE = "The service is temporarily unavailable. Try again shortly."

# The JSON code for each status; anything else is "error".
API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# Pages (and htmx messages) are for people in their language; the API's words stay English.
PAGE_TITLES = {
    400: _l("That request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("That action is not allowed here"),
    408: _l("That took too long"),
    413: _l("That request is too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
    503: _l("Temporarily unavailable"),
}
# What a page says when the error brought no message of its own (Werkzeug's are English).
PAGE_MESSAGES = {
    400: _l("Check what you sent and try again."),
    403: _l("Ask an admin if you need access."),
    404: _l("There is nothing at this address. Check the link, or start from your API keys."),
    405: _l("This page does not take that kind of request."),
    408: _l("The request was not sent in time. Try again."),
    413: _l("That request is larger than this service accepts."),
    500: _l("The error has been logged. Try again in a moment."),
    503: _l("The service is temporarily unavailable. Try again shortly."),
}

DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeoutError, StoreUnavailable)
REFUSALS = (401, 403, 429)
NO_KEY_ID = "-"  # what a refusal's log line says for a presented key with no key id


class ApiError(Exception):
    """An error answer under /api in the documented shape.

    ``reason`` says why, for the log, where the code alone does not (a 401
    ``invalid_api_key`` is a malformed, unknown or revoked key, or a wrong secret).
    ``key_id``, for the log too: the presented key's id, or ``NO_KEY_ID`` when it had none;
    left out, the log reads it from the ``X-API-Key`` header.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        reason: str | None = None,
        key_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.reason = reason or code
        self.key_id = key_id
        if status == 401:
            self.headers.setdefault("WWW-Authenticate", API_KEY_CHALLENGE)


def api_error_response(error: ApiError) -> Response:
    """Render an ``ApiError`` as JSON; a refusal (401, 403, 429) is logged first."""
    if error.status in REFUSALS:
        log_refusal(error)
    response = jsonify(error={"code": error.code, "message": error.message})
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def log_refusal(error: ApiError) -> None:
    """One INFO line for a refused API request: why, which key id, from where; no key."""
    key_id = error.key_id
    if key_id is None:  # not said by whoever refused: the header's, if it is a key at all
        presented = parse_key(request.headers.get("X-API-Key", ""))
        key_id = presented.key_id if presented is not None else NO_KEY_ID
    address = client_address()
    log.info(
        "API request refused: %s %s %s reason=%s key_id=%s address=%s",
        error.status,
        request.method,
        request.path,
        error.reason,
        key_id,
        address,
        extra={"reason": error.reason, "key_id": key_id, "client_address": address},
    )


def _message(error: HTTPException) -> str:
    """The error's own message; for a page, ours when it only has Werkzeug's default."""
    description = error.description or error.name
    if not is_api_request() and description == type(error).description:
        return str(PAGE_MESSAGES.get(error.code or 500, description))
    return str(description).strip()


def render_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> ResponseReturnValue:
    """Answer ``status`` as JSON under /api, as an HTMX fragment or as a page elsewhere."""
    if is_api_request():
        return api_error_response(ApiError(status, code, message, headers))
    title = PAGE_TITLES.get(status, _l("Something went wrong"))
    if is_htmx():
        body = render_template("errors/_message.html", title=title, message=message)
        # Show the message in the page's message area, not in whatever the request targeted.
        headers = {**(headers or {}), "HX-Retarget": "#messages", "HX-Reswap": "innerHTML"}
    else:
        body = render_template(
            "errors/error.html",
            status=status,
            title=title,
            message=message,
        )
    return body, status, headers or {}


def handle_http_exception(error: HTTPException) -> ResponseReturnValue:
    """Any ``abort()`` or routing error (400, 403, 404, 405, 413...).

    A console path without its locale is not an error: it redirects to the chosen one.
    """
    redirect = localized_redirect(error)
    if redirect is not None:
        return redirect
    if error.response is not None:
        return error.response  # made already, in our shape (a route limit's on_breach)
    status = error.code or 500
    # Keep what the error says besides its body, such as a 405's Allow (HTTP requires it).
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return render_error(status, API_CODES.get(status, "error"), _message(error), headers)


def handle_untrusted_host(error: SecurityError) -> ResponseReturnValue:
    """A ``Host`` outside ``TRUSTED_HOSTS``: 400, never a page with links built on that host."""
    if is_api_request():
        return render_error(400, "bad_request", "This host name is not served here.")
    return Response("This host name is not served here.\n", 400, mimetype="text/plain")


def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
    """A missing or wrong CSRF token on a form post."""
    if is_htmx() and not current_user.is_authenticated:
        # The session expired (taking its CSRF token along): go and sign in, whole page.
        return login_manager.unauthorized()
    message = _(
        "This form has expired or was not sent from this site. Reload the page and try again."
    )
    return render_error(400, "bad_request", message)


def database_unavailable(error: Exception, headers: dict[str, str] | None = None) -> ApiError:
    """The 503 for a database that did not answer (logged here, with what happened)."""
    log.error("database unavailable: %s", error)
    headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER_UNAVAILABLE_SECONDS)}
    return ApiError(503, "unavailable", UNAVAILABLE_MESSAGE, headers)


def handle_database_down(error: Exception) -> ResponseReturnValue:
    """The database did not answer: 503, never a guess and never a traceback."""
    unavailable = database_unavailable(error)
    # Rendering the page asks who is signed in; app/auth knows not to ask the database again.
    g.database_down = True
    message = unavailable.message if is_api_request() else str(PAGE_MESSAGES[503])
    return render_error(503, unavailable.code, message, unavailable.headers)


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    """A bug: log it with its traceback, answer 500 with nothing internal."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    message = InternalServerError.description if is_api_request() else str(PAGE_MESSAGES[500])
    return render_error(500, "internal_error", message)


def init_app(app: Flask) -> None:
    """Register the handlers, most specific first."""
    app.register_error_handler(ApiError, api_error_response)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    for exception in DATABASE_DOWN:
        app.register_error_handler(exception, handle_database_down)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
