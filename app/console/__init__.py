"""The signed-in console: /api-keys to create, list and revoke keys; /admin for admins."""

from flask import Blueprint, request
from flask_login import current_user

from app.audit import Actor
from app.ratelimit import client_address

bp = Blueprint("console", __name__)


def console_actor() -> Actor:
    """The signed-in user acting through this request, from the client's address."""
    return Actor.for_user(current_user, client_address(), request.headers.get("User-Agent", ""))


# The routes and template filters register themselves on bp.
from app.console import admin, formatting, keys  # noqa: E402, F401
