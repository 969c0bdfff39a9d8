"""The console in the user's language: every page under ``/<lang_code>/``, with Flask-Babel.

Flask's URL processors carry the locale between the URL and every ``url_for``. A console
path without one redirects to the switcher's cookie, Accept-Language, or the first of
``LANGUAGES``; /api and the other machine-facing routes are not localized.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, current_app, g, has_request_context, redirect, request
from flask_babel import Babel, gettext
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter
from werkzeug.wrappers import Response

from app.http import is_api_request
from app.i18n import formatting, zones
from app.i18n.catalog import install_template_gettext

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGE_COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Each language's name in its own language, for the switcher.
LANGUAGE_NAMES = {"en": "English", "es": "Español", "de": "Deutsch", "zh": "中文"}

babel = Babel()


def init_app(app: Flask) -> None:
    """Install the ``lang`` URL converter, Flask-Babel and the URL processors.

    Called before the blueprints are registered: their rules use the converter.
    """
    languages = tuple(app.config["LANGUAGES"])

    class LanguageConverter(BaseConverter):
        """Matches only the configured locales, so /xx/api-keys is simply not found."""

        regex = "|".join(re.escape(code) for code in languages)

    app.url_map.converters["lang"] = LanguageConverter
    babel.init_app(
        app,
        default_locale=languages[0],
        default_translation_directories=str(TRANSLATIONS),
        locale_selector=current_language,
        timezone_selector=zones.viewer_zone,
    )
    install_template_gettext(app)
    app.url_value_preprocessor(_pull_language)
    app.url_defaults(_add_language)
    app.after_request(_remember_language)
    app.jinja_env.globals.update(
        language_names=LANGUAGE_NAMES,
        current_language=current_language,
        alternates=alternates,
        viewer_zone=zones.viewer_zone,
    )
    formatting.init_app(app)


def current_language() -> str:
    """The locale of this request: the URL's, English for programs, else the chosen one.

    Outside a request (the command line) it is the first language.
    """
    if not has_request_context():
        return current_app.config["LANGUAGES"][0]
    code = g.get("lang_code")
    if code is not None:
        return code
    if is_api_request():
        return "en"
    return chosen_language()


def chosen_language() -> str:
    """The switcher's cookie, else the best of Accept-Language, else the first language."""
    languages = current_app.config["LANGUAGES"]
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    if remembered is not None and remembered in languages:
        return remembered
    return request.accept_languages.best_match(languages) or languages[0]


def _pull_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and "lang_code" in values:
        g.lang_code = values.pop("lang_code")


def _add_language(endpoint: str, values: dict[str, Any]) -> None:
    if "lang_code" in values:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
        values["lang_code"] = g.get("lang_code") or current_language()


def _remember_language(response: Response) -> Response:
    """A page served in a language remembers it, so /api-keys comes back to it next time."""
    code = g.get("lang_code")
    if code is not None and request.cookies.get(LANGUAGE_COOKIE) != code:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True
        )
    return response


def localized_redirect(error: HTTPException) -> Response | None:
    """For a console path without a locale, the redirect to it in the chosen one, or None."""
    if error.code != 404 or is_api_request() or g.get("lang_code") is not None:
        return None
    target = f"/{chosen_language()}{request.path}"
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(target, method=request.method)
    except HTTPException:  # not a console page in any language, or not for this method
        return None
    code = 302 if request.method in ("GET", "HEAD") else 308
    return redirect(as_location(target, request.query_string), code)


# What a path segment may hold unquoted (WHATWG's path-segment set); "%" is not among them:
# the path was decoded once already, and must reach the browser as the same characters.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
# The query string arrives as the client sent it, escapes included: those stay as they are.
_QUERY_SAFE = _PATH_SAFE + "?%"


def as_location(path: str, query: bytes = b"") -> str:
    """A Location for the decoded ``path`` and the raw ``query``, quoted where they must be.

    The path came percent-decoded from the client, so it may hold a CR or LF; quoted, it
    cannot end the header (Werkzeug refuses a header with a newline) or add one.
    """
    location = quote(path, safe=_PATH_SAFE)
    return location + (f"?{quote(query, safe=_QUERY_SAFE)}" if query else "")


def alternates() -> list[tuple[str, str]]:
    """The page in each language: (code, URL), for the switcher and hreflang links."""
    if request.endpoint is None or g.get("lang_code") is None:
        return []
    from flask import url_for

    # The query string is carried over as it came, not through url_for: a parameter named
    # like one of url_for's own (endpoint, _method, lang_code) must not break the page.
    query = request.query_string.decode("latin-1")
    suffix = f"?{query}" if query else ""
    view_args = request.view_args or {}
    return [
        (code, url_for(request.endpoint, **{**view_args, "lang_code": code}) + suffix)
        for code in current_app.config["LANGUAGES"]
    ]


def localize_flash_messages(message: str) -> str:
    """Flask-Login's messages, in the page's language."""
    return gettext(message)
