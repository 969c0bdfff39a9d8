"""HTTP behaviour of every answer: client address, session cookie, security headers, request id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from app.logs import REQUEST_ID_HEADER, request_id

API_PREFIX = "/api/"
_NO_KEY_NEEDED = "no_key_needed"
V = TypeVar("V", bound=Callable[..., Any])

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def is_api_request(req: Request | None = None) -> bool:
    """Whether the request is for the JSON API (authenticated by key, never by cookie)."""
    path = (req or request).path
    return path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/")


def no_key_needed(view: V) -> V:
    """Mark an API view anyone may call without ``X-API-Key`` (a leak report, say).

    Put it right under the route, so the mark is on the function Flask calls.
    """
    setattr(view, _NO_KEY_NEEDED, True)
    return view


def needs_key(req: Request | None = None) -> bool:
    """Whether the request is for an API operation that a key must authenticate."""
    req = req or request
    if not is_api_request(req):
        return False
    view = current_app.view_functions.get(req.endpoint or "")
    return not getattr(view, _NO_KEY_NEEDED, False)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with two changes.

    - Under /api there is no session at all: a cookie sent along is ignored and no answer
      sets one, so a key, never a browser session, decides who is calling.
    - ``SESSION_COOKIE_SECURE = None`` (the default) marks the cookie Secure exactly when
      the request came over HTTPS, so ``make run`` on http://127.0.0.1 can sign in and a
      deployment behind TLS gets Secure cookies without a setting.
    """

    def open_session(self, app: Flask, req: Request) -> SecureCookieSession | None:
        """Open the cookie session, except under /api."""
        if is_api_request(req):
            return self.null_session_class()
        return super().open_session(app, req)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured so, or (unconfigured) when the request is HTTPS."""
        configured = app.config["SESSION_COOKIE_SECURE"]
        return request.is_secure if configured is None else bool(configured)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def add_security_headers(response: Response) -> Response:
    """Add the security headers every answer carries (no view sets any of them itself).

    Every page and API answer carries one user's data (a new key, most of all), so none
    may be stored by a browser or proxy, nor kept in the back/forward cache; only the
    static files may be cached.
    """
    response.headers.extend(SECURITY_HEADERS)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers.extend((HSTS,))
    return response


def add_request_id(response: Response) -> Response:
    """Name the request in its answer, errors included: the id its log lines carry.

    The id is made by whoever asks first (app/logs.py), a line logged by an earlier hook
    or this one, so no hook's order can give a request two ids.
    """
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


def init_app(app: Flask) -> None:
    """Trust ``TRUSTED_PROXY_COUNT`` proxies, install the session rules, add the headers."""
    proxies = int(app.config["TRUSTED_PROXY_COUNT"])
    if proxies > 0:
        # Only then are X-Forwarded-For and -Proto believed; otherwise the socket address
        # is the client. Host and port come from the request itself, never a header.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.session_interface = SessionInterface()
    app.after_request(add_security_headers)
    app.after_request(add_request_id)
