"""Flask extensions, created unbound here and bound to the app by ``create_app``."""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.http import is_api_request
from app.ratelimit import client_address


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
limiter = Limiter(key_func=lambda: f"address:{client_address()}")


@limiter.request_filter
def _counted_elsewhere() -> bool:
    # The API's budgets are counted by the key hook (app/api/auth.py) and the health checks
    # are never limited, so Flask-Limiter's per-request route resolution is skipped there.
    return is_api_request() or request.blueprint == "health"
