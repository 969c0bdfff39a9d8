"""The page's locale, catalog and time zone, asked of Flask-Babel once per app context.

Flask-Babel answers each ``_()`` and each date filter by looking its state up on ``g``
again (three or four lookups, and the locale turned into a string): about 11 µs a string,
and a page of fifty keys translates some three hundred. Templates and the date filters
read them from here instead, as do ``gettext``, ``pgettext`` and ``lazy_gettext`` below
(Flask-Babel's, through the kept catalog) where Python code translates per row.
``in_locale`` is how a page renders something in another
language (a mail): it drops what was kept, before and after; code that calls
Flask-Babel's ``force_locale`` or ``refresh`` itself must do the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import tzinfo
from typing import Any, NamedTuple

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, g, has_app_context
from flask_babel import LazyString, force_locale, get_locale, get_timezone, get_translations

# Where the app context keeps them (``g`` lives exactly as long as Flask-Babel's own state).
_KEPT = "i18n_page_language"


class PageLanguage(NamedTuple):
    """What Flask-Babel says the current page is written in."""

    locale: Locale
    translations: NullTranslations
    timezone: tzinfo


def page_language() -> PageLanguage:
    """The current locale, catalog and time zone (Flask-Babel's), looked up once."""
    if not has_app_context():
        return _asked()
    kept = g.get(_KEPT)
    if kept is None:
        kept = _asked()
        setattr(g, _KEPT, kept)
    return kept


def _asked() -> PageLanguage:
    return PageLanguage(get_locale() or Locale("en"), get_translations(), get_timezone())


@contextmanager
def in_locale(code: str | None) -> Iterator[None]:
    """Flask-Babel's ``force_locale`` (None: the default), the page's kept language set aside."""
    kept = g.pop(_KEPT, None) if has_app_context() else None
    try:
        with force_locale(code):
            yield
    finally:
        if has_app_context():
            g.pop(_KEPT, None)  # the other language's
            if kept is not None:
                setattr(g, _KEPT, kept)


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext``, from the kept catalog."""
    translated = page_language().translations.ugettext(string)
    return translated % variables if variables else translated


def pgettext(context: str, string: str, **variables: Any) -> str:
    """Flask-Babel's ``pgettext``, from the kept catalog."""
    translated = page_language().translations.upgettext(context, string)
    return translated % variables if variables else translated


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's ``lazy_gettext``: translated each time it is shown, by ``gettext``."""
    return LazyString(gettext, string, **variables)


def install_template_gettext(app: Flask) -> None:
    """Make ``_()``, ``gettext`` and the rest in templates read the kept catalog.

    The same catalog methods Flask-Babel's own template callables call, and Jinja's
    new-style gettext still does the escaping and the ``%(name)s`` formatting.
    """
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: page_language().translations.ugettext(s),
        ngettext=lambda s, p, n: page_language().translations.ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: page_language().translations.upgettext(c, s),
        npgettext=lambda c, s, p, n: page_language().translations.unpgettext(c, s, p, n),
    )
