"""Health for machines: /livez (alive), /readyz (can serve), /healthz (the details).

- ``/livez``: the process answers; it touches nothing else. For an orchestrator's
  liveness probe: failing it means "restart me".
- ``/readyz``: 200 while the database answers, the one dependency nothing can stand in
  for; a Redis outage leaves it ready ("degraded"), since budgets are then counted in the
  process (app/ratelimit/counter.py). For a load balancer and a readiness probe.
- ``/healthz``: each dependency up, down or degraded, the rate-limit fallback as this
  process will act on it, and the version; 503 only when it cannot serve (no database).

Redis is probed through the limiter's circuit, as a request would: a failed probe opens it
(so the fallback is on from the first probe, before any API request), and while it is
open the probe does not wait on Redis again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from app.errors import RETRY_AFTER_UNAVAILABLE_SECONDS
from app.extensions import db, limiter
from app.version import __version__

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

UP, DOWN, DEGRADED = "up", "down", "degraded"


@bp.get("/livez")
def livez() -> Response:
    """Answer that the process is alive, touching neither the database nor the limiter.

    It is also the benchmark's baseline: the cost of Flask, gunicorn and HTTP alone.
    """
    return jsonify(status="ok")


def database_up() -> bool:
    """Whether the database answers ``SELECT 1``."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means "not ready", never a 500
        log.warning("health check: database unreachable: %s", error.__class__.__name__)
        return False
    return True


def limiter_storage_up() -> bool:
    """Whether the budgets' storage answers, and the circuit told what the probe found."""
    counter = current_app.extensions["limit_counter"]
    if not counter.storage_up():
        return False  # the circuit is open: requests do not wait for it either
    try:
        answered = bool(limiter.storage.check())
    except Exception:  # a failed check is an answer, not an error
        answered = False
    if answered:
        counter.storage_answered()
    else:
        counter.storage_failed()
    return answered


def _checks() -> tuple[str, dict[str, str], str]:
    database = database_up()
    storage = limiter_storage_up()
    checks = {
        "database": UP if database else DOWN,
        # Budgets are still kept without it, in the process: degraded, not down.
        "rate_limit_storage": UP if storage else DOWN,
    }
    if not database:
        status = "unavailable"
    elif not storage:
        status = DEGRADED
    else:
        status = "ok"
    fallback = "on" if current_app.extensions["limit_counter"].in_fallback else "off"
    return status, checks, fallback


def _answer(body: Mapping[str, object], status: str) -> Response:
    response = jsonify(body)
    if status == "unavailable":
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE_SECONDS)
    return response


@bp.get("/readyz")
def readyz() -> Response:
    """200 while this process can serve (the database answers), "degraded" without Redis."""
    status, _, _ = _checks()
    return _answer({"status": status}, status)


@bp.get("/healthz")
def healthz() -> Response:
    """Each dependency up or down, the overall status, the fallback state and the version.

    Cheap enough for a load balancer every second: one ``SELECT 1`` and one ping (none
    while the circuit is open).
    """
    status, checks, fallback = _checks()
    body = {
        "status": status,
        "checks": checks,
        "down": [name for name, state in checks.items() if state == DOWN],
        "rate_limit_fallback": fallback,
        "version": __version__,
    }
    return _answer(body, status)
