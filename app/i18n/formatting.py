"""Dates, times and numbers as the page's locale writes them (Babel), as template filters.

Timestamps are stored in UTC and shown in the viewer's time zone (``zones.py``), named where
a time of day is shown, with the exact UTC value in ``<time datetime>`` for scripts and tests.
Each filter calls Babel's own function with the locale and time zone Flask-Babel chose for
the page (``page_language``), as Flask-Babel's ``format_*`` do, but without their two
look-ups on ``g`` a call: half of what a timestamp cost, and a page of fifty keys shows a
hundred. A moment's date and its full form (which do not change, unlike "3 minutes ago")
are kept for the moments shown lately: the same keys and events come back on the next page
view.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, tzinfo

from babel import Locale, dates, numbers
from flask import Flask

from app.i18n.catalog import gettext, page_language

# Moments whose date and full form are kept formatted, per locale and time zone (each
# entry a few hundred bytes).
MAX_TIMESTAMPS_CACHED = 4096


def short_date(moment: date) -> str:
    """``moment`` as a date: "Nov 26, 2026", "26 nov 2026", "26.11.2026", "2026年11月26日"."""
    language = page_language()
    return _formatted(moment, "date", language.locale, language.timezone)


def full_timestamp(moment: datetime) -> str:
    """``moment`` to the second in the viewer's zone, named by its own name.

    "Nov 26, 2026, 3:05:00 PM (Europe/Berlin)": not Babel's "+0100" or a locale's "MEZ",
    which many do not know.
    """
    language = page_language()
    time = _formatted(moment, "full", language.locale, language.timezone)
    return gettext("%(time)s (%(zone)s)", time=time, zone=str(language.timezone))


@functools.lru_cache(maxsize=MAX_TIMESTAMPS_CACHED)
def _formatted(moment: date, form: str, locale: Locale, zone: tzinfo) -> str:
    if not isinstance(moment, datetime):  # a day (the usage chart's): no time, no zone
        return dates.format_date(moment, "medium", locale=locale)
    if form == "date":
        local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
        return dates.format_date(local, "medium", locale=locale)
    return dates.format_datetime(moment, "medium", tzinfo=zone, locale=locale)


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
