"""Every error answer, in one place.

Under /api the answer is JSON, ``{"error": {"code": ..., "message": ...}}``; elsewhere a
friendly page, or for an HTMX request a fragment retargeted to the page's message area.
No answer ever carries a traceback or an internal detail; those go to the log.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import limiter, login_manager
from app.htmx import is_htmx
from app.http import is_api_request
from app.keys.lookup import StoreUnavailable
from app.ratelimit import seconds_until

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
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

PAGE_TITLES = {
    400: "That request could not be understood",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    413: "That request is too large",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "Temporarily unavailable",
}

DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeoutError, StoreUnavailable)


class ApiError(Exception):
    """An error answer under /api in the documented shape."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        if status == 401:
            self.headers.setdefault("WWW-Authenticate", API_KEY_CHALLENGE)


def api_error_response(error: ApiError) -> Response:
    """Render an ``ApiError`` as JSON."""
    response = jsonify(error={"code": error.code, "message": error.message})
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _message(error: HTTPException) -> str:
    # Werkzeug's descriptions are written for people and say nothing internal.
    return (error.description or error.name).strip()


def render_error(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    """Answer ``status`` as JSON under /api, as an HTMX fragment or as a page elsewhere."""
    if is_api_request():
        return api_error_response(ApiError(status, code, message, headers))
    title = PAGE_TITLES.get(status, "Something went wrong")
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


def handle_http_exception(error: HTTPException):
    """Any ``abort()`` or routing error (400, 403, 404, 405, 413...)."""
    status = error.code or 500
    # Keep what the error says besides its body, such as a 405's Allow (HTTP requires it).
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return render_error(status, API_CODES.get(status, "error"), _message(error), headers)


def handle_rate_limit(error: RateLimitExceeded):
    """A Flask-Limiter breach: 429 saying when to retry (headers come from the limiter)."""
    if error.response is not None:
        return error.response  # the limit's own answer, such as the sign-in form
    current = limiter.current_limit
    wait = seconds_until(current.window.reset_time) if current else 60
    message = f"Rate limit of {error.description} exceeded. Retry in {wait} seconds."
    return render_error(429, "rate_limited", message, {"Retry-After": str(wait)})


def handle_csrf_error(error: CSRFError):
    """A missing or wrong CSRF token on a form post."""
    if is_htmx() and not current_user.is_authenticated:
        # The session expired (taking its CSRF token along): go and sign in, whole page.
        return login_manager.unauthorized()
    message = "This form has expired or was not sent from this site. Reload the page and try again."
    return render_error(400, "bad_request", message)


def database_unavailable(error: Exception, headers: dict[str, str] | None = None) -> ApiError:
    """The 503 for a database that did not answer (logged here, with what happened)."""
    log.error("database unavailable: %s", error)
    headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER_UNAVAILABLE_SECONDS)}
    return ApiError(503, "unavailable", UNAVAILABLE_MESSAGE, headers)


def handle_database_down(error: Exception):
    """The database did not answer: 503, never a guess and never a traceback."""
    unavailable = database_unavailable(error)
    # Rendering the page asks who is signed in; app/auth knows not to ask the database again.
    g.database_down = True
    return render_error(503, unavailable.code, unavailable.message, unavailable.headers)


def handle_unexpected(error: Exception):
    """A bug: log it with its traceback, answer 500 with nothing internal."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(500, "internal_error", InternalServerError.description)


def init_app(app: Flask) -> None:
    """Register the handlers, most specific first."""
    app.register_error_handler(ApiError, api_error_response)
    app.register_error_handler(RateLimitExceeded, handle_rate_limit)
    app.register_error_handler(CSRFError, handle_csrf_error)
    for exception in DATABASE_DOWN:
        app.register_error_handler(exception, handle_database_down)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
