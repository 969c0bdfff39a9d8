"""The signed-in console: /api-keys to create, list and revoke keys; /admin for admins."""

from flask import Blueprint

bp = Blueprint("console", __name__)

# The routes and template filters register themselves on bp.
from app.console import admin, formatting, keys  # noqa: E402, F401
