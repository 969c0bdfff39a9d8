"""Console sign-in: /signup, /login and POST /logout, with Flask-Login sessions."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, g, redirect, request, url_for

from app.extensions import db, login_manager
from app.htmx import is_htmx
from app.models import User

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, unless they have been deactivated since signing in."""
    if g.get("database_down"):
        return None  # the 503 page is being rendered: show it signed out
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Send the browser to sign in; for HTMX, the whole page, never a fragment of it."""
    login_url = url_for("auth.login", next=safe_next(request.full_path))
    if is_htmx():
        # Come back to the page the person was on, not to the fragment htmx asked for.
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        page = current.path + (f"?{current.query}" if current.query else "")
        login_url = url_for("auth.login", next=safe_next(page) or safe_next(request.full_path))
        response = Response(status=401)
        response.headers["HX-Redirect"] = login_url
        return response
    return redirect(login_url)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: no open redirects."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 for char in target):
        return None  # browsers read "/\\evil.example" as "//evil.example"
    return target.rstrip("?")


from app.auth import views  # noqa: E402, F401  (the routes register themselves on bp)
