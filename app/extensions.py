"""Flask extensions, created unbound here and bound to the app by ``create_app``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.http import needs_key


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
# The models' base class. db.Model is made at run time from Base, and a type checker cannot
# take an attribute as a base class, so it checks the models against Base itself.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
# Flask-Limiter owns the storage (RATELIMIT_STORAGE_URI) and the strategy; every budget is
# counted through app/ratelimit (the API's in its key hook, sign-in's in its views), where
# the user, the key and the outcome are known. Its per-request check, which a route limit
# would use, skips what a key authenticates under /api: no route limit may charge a request
# the key hook already charged. Operations that need no key have route limits of their own.
limiter = Limiter(key_func=get_remote_address)
limiter.request_filter(needs_key)
