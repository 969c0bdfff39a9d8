"""What the auth views share: who is acting, and the 429 answers that say when to retry.

A refused form comes back as itself with the reason, as a 429 with ``Retry-After``: either
a budget of attempts is spent (``too_many_attempts``, ``too_many_sign_ins``), or the
password checks are at their ceiling and no bcrypt was run (``too_busy``).
"""

from __future__ import annotations

from flask import Response, current_app, make_response, render_template, request
from flask_babel import ngettext
from limits import WindowStats

from app.audit import Actor
from app.auth.password_checks import PasswordChecks
from app.metrics import RATE_LIMITED
from app.ratelimit import client_address, seconds_until


def visitor() -> Actor:
    """Nobody signed in, from this client's address and browser."""
    return Actor.anonymous(client_address(), request.user_agent.string)


def password_checks() -> PasswordChecks:
    """The ceiling on password checks (each bcrypt run a visitor can cause takes a slot)."""
    return current_app.extensions["password_checks"]


def retry_later(template: str, message: str, wait: int, **context: object) -> Response:
    """``template`` with ``message`` as its error, as a 429 that says when to retry."""
    response = make_response(render_template(template, error=message, **context), 429)
    response.headers["Retry-After"] = str(wait)
    return response


def busy_message(wait: int) -> str:
    """The "password checks are busy, try again in N seconds" message (counted as a 429)."""
    RATE_LIMITED.labels("password_checks", "").inc()
    return ngettext(
        "Too many sign-ins right now. Try again in %(num)d second.",
        "Too many sign-ins right now. Try again in %(num)d seconds.",
        wait,
    )


def too_busy(template: str, wait: int, **context: object) -> Response:
    """The form again, as a 429: password checks are at their ceiling (no bcrypt was run)."""
    return retry_later(template, busy_message(wait), wait, **context)


def attempts_message(window: WindowStats, *, sign_in: bool = False) -> tuple[str, int]:
    """The "too many attempts, try again in N seconds" message, and N (counted as a 429).

    ``sign_in``: the attempts were at a password (signing in or up, changing it).
    """
    RATE_LIMITED.labels("sign_in", "").inc()
    wait = seconds_until(window.reset_time)
    if sign_in:
        message = ngettext(
            "Too many sign-in attempts. Try again in %(num)d second.",
            "Too many sign-in attempts. Try again in %(num)d seconds.",
            wait,
        )
    else:
        message = ngettext(
            "Too many attempts. Try again in %(num)d second.",
            "Too many attempts. Try again in %(num)d seconds.",
            wait,
        )
    return message, wait


def too_many_attempts(template: str, window: WindowStats, **context: object) -> Response:
    """The form again, as a 429: ``window``'s budget of attempts is spent until it resets."""
    message, wait = attempts_message(window)
    return retry_later(template, message, wait, **context)


def too_many_sign_ins(template: str, window: WindowStats, **context: object) -> Response:
    """As ``too_many_attempts``, for attempts at a password."""
    message, wait = attempts_message(window, sign_in=True)
    return retry_later(template, message, wait, **context)
