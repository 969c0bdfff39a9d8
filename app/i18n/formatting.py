"""Dates, times and numbers as the page's locale writes them (Babel), as template filters.

Timestamps are stored in UTC and shown in UTC (``BABEL_DEFAULT_TIMEZONE``), with the exact
value in ``<time datetime>`` for scripts and tests. Each filter calls Babel's own function
with the locale and time zone Flask-Babel chose for the page (``page_language``), as
Flask-Babel's ``format_*`` do, but without their two look-ups on ``g`` a call: half of what
a timestamp cost, and a page of fifty keys shows a hundred. A moment's date and its full
form (which does not change, unlike "3 minutes ago") are kept for the moments shown
lately: the same keys and events come back on the next page view.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, tzinfo

from babel import Locale, dates, numbers
from flask import Flask
from flask_babel import gettext

from app.i18n.catalog import page_language

# Moments whose date and full form are kept formatted, per locale and time zone (each
# entry a few hundred bytes).
MAX_TIMESTAMPS_CACHED = 4096


def short_date(moment: datetime) -> str:
    """``moment`` as a date: "Nov 26, 2026", "26 nov 2026", "26.11.2026", "2026年11月26日"."""
    language = page_language()
    return _formatted(moment, "date", language.locale, language.timezone)


def full_timestamp(moment: datetime) -> str:
    """``moment`` in full, to the second, with its time zone (UTC)."""
    language = page_language()
    return _formatted(moment, "full", language.locale, language.timezone)


@functools.lru_cache(maxsize=MAX_TIMESTAMPS_CACHED)
def _formatted(moment: datetime, form: str, locale: Locale, zone: tzinfo) -> str:
    if form == "date":
        local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
        return dates.format_date(local, "medium", locale=locale)
    return dates.format_datetime(moment, "long", tzinfo=zone, locale=locale)


def time_ago(moment: datetime, now: datetime | None = None) -> str:
    """``moment`` relative to now: "just now", "3 minutes ago", "in 2 days"."""
    delta = moment - (now or datetime.now(UTC))
    if abs(delta.total_seconds()) < 60:
        return gettext("just now")
    return dates.format_timedelta(
        delta, add_direction=True, threshold=1.0, locale=page_language().locale
    )


def number(value: int | float) -> str:
    """A number with the locale's grouping: 1,234 / 1.234 / 1 234."""
    return numbers.format_decimal(value, locale=page_language().locale)


def init_app(app: Flask) -> None:
    """Make the formatters template filters."""
    for function in (short_date, full_timestamp, time_ago, number):
        app.add_template_filter(function)
