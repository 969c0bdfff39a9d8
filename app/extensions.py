"""Flask extensions, created unbound here and bound to the app by ``create_app``."""

from __future__ import annotations

from flask_limiter import ApplicationLimit, Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.ratelimit import identify_request, not_an_api_user, rate_limit_key, role_limit


class Base(DeclarativeBase):
    """Declarative base for the typed SQLAlchemy 2.x models."""

    # Named constraints, so migrations can refer to them on every database.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(
    key_func=rate_limit_key,
    # An application limit (not a blueprint one) so that an unknown path or a wrong
    # method under /api also counts against, and reports, the caller's budget.
    application_limits=[ApplicationLimit(role_limit, exempt_when=not_an_api_user)],
    request_identifier=identify_request,
)
