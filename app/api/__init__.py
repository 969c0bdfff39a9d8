"""The JSON API under /api, authenticated by the ``X-API-Key`` header only."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from app.api import admin, views  # noqa: E402, F401  (the routes register themselves on bp)
