"""Template filters for timestamps: short dates, "3 minutes ago", and the full UTC time."""

from __future__ import annotations

from datetime import UTC, datetime

from app.console import bp


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'} ago"


def describe_age(moment: datetime, now: datetime) -> str:
    """Say how long ago ``moment`` was, as a person would."""
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return _plural(seconds // 60, "minute")
    if seconds < 86400:
        return _plural(seconds // 3600, "hour")
    if seconds < 30 * 86400:
        return _plural(seconds // 86400, "day")
    return short_date(moment)


@bp.app_template_filter("time_ago")
def time_ago(moment: datetime) -> str:
    """``moment`` relative to now: "just now", "3 minutes ago", "2 days ago"."""
    return describe_age(moment, datetime.now(UTC))


@bp.app_template_filter("short_date")
def short_date(moment: datetime) -> str:
    """``moment`` as a date, e.g. "26 Nov 2026"."""
    return f"{moment.day} {moment:%b %Y}"


@bp.app_template_filter("full_timestamp")
def full_timestamp(moment: datetime) -> str:
    """``moment`` in full, e.g. "2026-11-26 13:43:52 UTC"."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
