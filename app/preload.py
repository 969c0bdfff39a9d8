"""What the gunicorn master readies once, before it forks: the pages' templates and languages.

Otherwise each worker compiles a page's templates on its first request for that page (the
key list: about 150 ms of CPU; a key's page 65 ms) and loads each language's catalog and
Babel's data on its first page in it; with four workers that is four slow first requests
per page after every start, restart or recycled worker. Made in the master, they are
shared by every worker it forks (and frozen out of their garbage collector with the rest).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from app.i18n import formatting
from app.i18n.catalog import in_locale, page_language


def ready_before_fork(app: Flask) -> None:
    """Compile every template into the app's Jinja cache; load every language's catalog."""
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)
    moment = datetime.now(UTC)
    with app.app_context():
        for code in app.config["LANGUAGES"]:
            with in_locale(code):
                page_language()  # Flask-Babel's catalog for the language, kept per process
                formatting.full_timestamp(moment)  # Babel's data for the locale, likewise
                formatting.time_ago(moment)
                formatting.number(1234)
