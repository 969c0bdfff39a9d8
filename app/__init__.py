"""Chameleon API keys: the application factory."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from app import (
    api,
    auth,
    cli,
    console,
    database,
    errors,
    health,
    http,
    i18n,
    keys,
    logs,
    mail,
    metrics,
    openapi,
    ratelimit,
    secret_scanning,
    usage,
)
from app.api import bookkeeping, key_hook
from app.config import ConfigError, load_config
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.json import StrictJSONProvider

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    test_config: Mapping[str, Any] | None = None, *, instance_path: str | Path | None = None
) -> Flask:
    """Create and configure the application.

    Settings come from the defaults, then ``FLASK_*`` environment variables (and
    ``DATABASE_URL``), then ``test_config``; see ``app/config.py``. ``instance_path`` is
    Flask's (``instance/`` in the project unless given, as tests do).
    """
    app = Flask(
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(instance_path or PROJECT_ROOT / "instance"),
    )
    app.json = StrictJSONProvider(app)
    try:
        load_config(app, test_config)
    except ConfigError as error:
        # The server (gunicorn, flask) stops with one line naming each bad setting.
        sys.exit(f"Configuration error: {error}")
    register_logging(app)
    register_request_hooks(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    """Write no key to any log, even one a client put in a URL or a malformed header."""
    logs.init_app(app)


def register_extensions(app: Flask) -> None:
    """Bind the extensions to the app, then what is built on the limiter's storage."""
    db.init_app(app)
    database.init_app(app)
    keys.init_app(app)
    secret_scanning.init_app(app)
    usage.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    ratelimit.init_app(app)
    mail.init_app(app)
    key_hook.init_app(app)
    metrics.init_app(app)


def register_request_hooks(app: Flask) -> None:
    """Register the hooks every request passes, before any extension adds its own.

    Before the view, in this order: the metrics clock, so a request's latency includes the
    rest; the X-API-Key hook, so an API request refused for its key pays for nothing else;
    then the hooks the extensions register in ``register_extensions``: CSRF's check and
    Flask-Limiter's per-request check (which its request filter skips under /api, where
    the X-API-Key hook charges the budgets). After the view Flask runs hooks in reverse
    order, so the extensions' come first, then security headers, the API's bookkeeping and,
    last, the metrics.
    """
    app.before_request(metrics.start_clock)
    app.before_request(key_hook.authenticate_api_request)
    app.after_request(metrics.observe)
    app.after_request(bookkeeping.after_api_request)
    http.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount sign-in and the console under each locale; the API, its docs and health as is."""
    auth.init_app(app)
    for localized in (auth.bp, console.bp):
        app.register_blueprint(localized, url_prefix="/<lang:lang_code>")
    app.register_blueprint(health.bp)
    # The API through the extension that documents it: /openapi.json and /docs come along.
    openapi.init_app(app, api.bp)
    # Keys, not cookies, authenticate the API, so there is no cross-site request to forge.
    csrf.exempt(api.bp)


def register_errorhandlers(app: Flask) -> None:
    """Answer every error as JSON under /api and as a page or HTMX fragment elsewhere."""
    errors.init_app(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask users``, ``flask keys`` and ``flask audit`` command groups."""
    cli.init_app(app)
