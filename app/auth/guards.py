"""Before each console page: remember the user's locale, and require a second factor.

- The locale a signed-in user last used is kept on their row, for the language of the
  mail they are sent. Written only when it changes, and once the answer has gone, so a
  page never waits for the database's write lock.
- ``REQUIRE_TWO_FACTOR`` (``none``, ``admins``, ``everyone``): a signed-in user in scope
  without a second factor reaches only enrolment and sign-out until they have one.
"""

from __future__ import annotations

import logging

from flask import (
    Flask,
    Response,
    after_this_request,
    current_app,
    g,
    redirect,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from app.auth.mail_budgets import MailBudgets
from app.auth.session_names import session_name
from app.database import write_transaction
from app.htmx import is_htmx
from app.models import User

log = logging.getLogger(__name__)

LOCALIZED_BLUEPRINTS = ("auth", "console")
# What a user who must enrol may still reach.
ENROLMENT_ENDPOINTS = frozenset(
    {
        "auth.two_factor_page",
        "auth.two_factor_confirm",
        "auth.two_factor_restart",
        "auth.logout",
        "auth.login",
        "auth.login_two_factor",
    }
)


def init_app(app: Flask) -> None:
    """Make the budgets, install the hook and the name filter (settings checked at start)."""
    app.extensions["mail_budgets"] = MailBudgets(
        app.extensions["limit_counter"],
        per_address=app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"],
        per_email=app.config["MAIL_RATE_LIMIT_PER_EMAIL"],
        codes_per_user=app.config["TWO_FACTOR_RATE_LIMIT"],
        secret_key=app.config["SECRET_KEY"],
    )

    def remember_locale(user_id: int, lang_code: str) -> None:
        try:
            with app.app_context(), write_transaction() as session:
                session.execute(update(User).where(User.id == user_id).values(locale=lang_code))
        except SQLAlchemyError as error:  # the answer is sent; the next page tries again
            log.warning("Could not record the locale of user %s: %s", user_id, error)

    app.extensions["remember_locale"] = remember_locale
    app.before_request(_console_guard)
    app.jinja_env.globals.update(session_name=session_name, must_enrol=must_enrol)


def must_enrol(user: object) -> bool:
    """Whether ``REQUIRE_TWO_FACTOR`` puts this signed-in user in scope, still unenrolled."""
    scope = current_app.config["REQUIRE_TWO_FACTOR"]
    if scope == "none" or user.has_two_factor:  # type: ignore[attr-defined]
        return False
    return scope == "everyone" or user.is_admin  # type: ignore[attr-defined]


def _console_guard() -> BaseResponse | None:
    if request.blueprint not in LOCALIZED_BLUEPRINTS or g.get("database_down"):
        return None
    if not current_user.is_authenticated:
        return None
    lang_code = g.get("lang_code")
    if lang_code and current_user.locale != lang_code:
        remember = current_app.extensions["remember_locale"]
        user_id = current_user.id

        @after_this_request
        def _after(response: Response) -> Response:
            response.call_on_close(lambda: remember(user_id, lang_code))
            return response

    if request.endpoint in ENROLMENT_ENDPOINTS or not must_enrol(current_user):
        return None
    target = url_for("auth.two_factor_page")
    if is_htmx():
        return Response(status=204, headers={"HX-Redirect": target})
    return redirect(target)
