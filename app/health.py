"""Liveness and readiness for load balancers: /livez and /healthz."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db, limiter

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez():
    """Answer that the process is alive, touching neither the database nor the limiter.

    It is also the benchmark's baseline: the cost of Flask, gunicorn and HTTP alone.
    """
    return jsonify(status="ok")


def _database_ok() -> bool:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not ready", never a 500
        log.warning("health check: database unreachable", exc_info=True)
        return False
    return True


def _limiter_storage_ok() -> bool:
    try:
        return bool(limiter.storage.check())
    except Exception:  # as above: a failed check is an answer, not an error
        log.warning("health check: rate limit storage unreachable", exc_info=True)
        return False


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database and the limiter storage answer, else 503 naming which.

    Cheap enough for a load balancer to call every second: one ``SELECT 1`` and one ping.
    """
    checks = {"database": _database_ok(), "rate_limit_storage": _limiter_storage_ok()}
    # Whether this process counts budgets in memory (a share of each) for want of Redis.
    fallback = "on" if current_app.extensions["limit_counter"].in_fallback else "off"
    down = [name for name, ok in checks.items() if not ok]
    if down:
        body = {
            "status": "unavailable",
            "down": down,
            "checks": _words(checks),
            "rate_limit_fallback": fallback,
        }
        response = jsonify(body)
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response
    return jsonify(status="ok", checks=_words(checks), rate_limit_fallback=fallback)


def _words(checks: dict[str, bool]) -> dict[str, str]:
    return {name: "ok" if ok else "down" for name, ok in checks.items()}
