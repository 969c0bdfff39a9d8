"""Console sign-in: /signup, /login and POST /logout, with Flask-Login sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from app.auth import guards, sessions
from app.auth.budgets import SignInBudgets
from app.auth.password_checks import PasswordChecks
from app.database import write_transaction
from app.extensions import db, login_manager
from app.hashing import dummy_hash
from app.htmx import is_htmx
from app.i18n import localize_flash_messages
from app.keys import signals
from app.models import User

SESSION_TOKEN = "sid"  # noqa: S105  (the session cookie's key for the session's token)

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"
login_manager.localize_callback = localize_flash_messages


def init_app(app: Flask) -> None:
    """Sign-in budgets, the password checks' ceiling, and the dummy hash made now."""
    app.extensions["sign_in_budgets"] = SignInBudgets(
        app.extensions["limit_counter"],
        app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"],
        app.config["LOGIN_RATE_LIMIT_PER_EMAIL"],
        app.config["LOGIN_RATE_LIMIT_PER_EMAIL_ALL_ADDRESSES"],
        secret_key=app.config["SECRET_KEY"],
    )
    app.extensions["password_checks"] = PasswordChecks(
        app.extensions["limit_counter"],
        app.config["PASSWORD_CHECKS_PER_PROCESS"],
        app.config["PASSWORD_CHECK_RATE_LIMIT"],
    )
    # An unknown email is checked against this hash so that it costs what a known one
    # does; made at start, or the first unknown email per worker would take longer.
    dummy_hash(app.config["BCRYPT_ROUNDS"])
    guards.init_app(app)
    # A role change or a deactivation ends the user's sessions: they sign in again.
    signals.user_changed.connect(_end_sessions_of, app, weak=False)


def _end_sessions_of(_app: Flask, user_id: int) -> None:
    with write_transaction():
        sessions.end_all(user_id)


def session_limits() -> tuple[timedelta, timedelta]:
    """(idle timeout, lifetime) of a console session."""
    config = current_app.config
    return _duration(config["SESSION_IDLE_TIMEOUT"]), _duration(config["SESSION_LIFETIME"])


def _duration(value: timedelta | int | float) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, while their server-side session is alive and they are active."""
    if g.get("database_down"):
        return None  # the 503 page is being rendered: show it signed out
    token = session.get(SESSION_TOKEN)
    alive = sessions.find_alive(token, *session_limits()) if isinstance(token, str) else None
    if alive is None or str(alive.user_id) != user_id:
        # Signed out elsewhere, expired, or a cookie from before server-side sessions.
        g.session_expired = True
        return None
    user = db.session.get(User, alive.user_id)
    return user if user is not None and user.active else None


@login_manager.unauthorized_handler
def unauthorized() -> BaseResponse:
    """Send the browser to sign in; for HTMX, the whole page, never a fragment of it."""
    # Any, as url_for types its values: mypy would check a dict of str against _external.
    expired: dict[str, Any] = {"expired": "1"} if g.get("session_expired") else {}
    login_url = url_for("auth.login", next=safe_next(request.full_path), **expired)
    if is_htmx():
        # Come back to the page the person was on, not to the fragment htmx asked for.
        page = _page_of(request.headers.get("HX-Current-URL", ""))
        login_url = url_for(
            "auth.login", next=safe_next(page) or safe_next(request.full_path), **expired
        )
        response = Response(status=401)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def _page_of(url: str) -> str | None:
    """The path and query of ``url`` (htmx's HX-Current-URL), or None if it is no URL."""
    try:
        current = urlsplit(url)
    except ValueError:  # "http://[" and the like: a header anyone can send
        return None
    return current.path + (f"?{current.query}" if current.query else "")


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: no open redirects."""
    if not target:
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 for char in target):
        return None  # browsers read "/\\evil.example" as "//evil.example"
    return target.rstrip("?")


# The routes register themselves on bp.
from app.auth import (  # noqa: E402, F401
    account_views,
    code_step,
    reset_views,
    signup_views,
    two_factor_views,
    views,
)
