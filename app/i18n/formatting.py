"""Dates, times and numbers as the page's locale writes them (Babel), as template filters.

Timestamps are stored in UTC and shown in the viewer's time zone (``zones.py``), named where
a time of day is shown, with the exact UTC value in ``<time datetime>`` for scripts and tests.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, format_timedelta, gettext

from app.i18n.zones import viewer_zone


def short_date(moment: datetime) -> str:
    """``moment`` as a date: "Nov 26, 2026", "26 nov 2026", "26.11.2026", "2026年11月26日"."""
    return format_date(moment, "medium")


def full_timestamp(moment: datetime) -> str:
    """``moment`` to the second in the viewer's zone, named by its own name.

    "Nov 26, 2026, 3:05:00 PM (Europe/Berlin)": not Babel's "+0100" or a locale's "MEZ",
    which many do not know.
    """
    return gettext(
        "%(time)s (%(zone)s)", time=format_datetime(moment, "medium"), zone=viewer_zone()
    )


def time_ago(moment: datetime, now: datetime | None = None) -> str:
    """``moment`` relative to now: "just now", "3 minutes ago", "in 2 days"."""
    delta = moment - (now or datetime.now(UTC))
    if abs(delta.total_seconds()) < 60:
        return gettext("just now")
    return format_timedelta(delta, add_direction=True, threshold=1.0)


def number(value: int | float) -> str:
    """A number with the locale's grouping: 1,234 / 1.234 / 1 234."""
    return format_decimal(value)


def init_app(app: Flask) -> None:
    """Make the formatters template filters."""
    for function in (short_date, full_timestamp, time_ago, number):
        app.add_template_filter(function)
