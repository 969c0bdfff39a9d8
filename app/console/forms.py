"""The console's form fields, read and checked: the create form's expiry and the grace."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from app.keys.rules import InvalidDuration, InvalidExpiry

EXPIRY_DAYS = ("7", "30", "90", "365")
GRACE_PERIODS = {"0": timedelta(0), "1h": timedelta(hours=1), "24h": timedelta(hours=24),
                 "7d": timedelta(days=7)}  # fmt: skip


def expiry_from(form: Mapping[str, str], now: datetime) -> datetime | None:
    """When a key made with this form expires: None (never), in N days, or on a date.

    A custom date means the key stops working at the start of that day (00:00 UTC).
    """
    choice = form.get("expires_in", "never")
    if choice == "never":
        return None
    if choice in EXPIRY_DAYS:
        return now + timedelta(days=int(choice))
    if choice == "custom":
        try:
            day = date.fromisoformat(form.get("expires_at", "").strip())
        except ValueError:
            raise InvalidExpiry(
                _l("Enter the expiry date as YYYY-MM-DD, such as 2027-06-30.")
            ) from None
        return datetime.combine(day, time(0), tzinfo=UTC)
    raise InvalidExpiry(_l("Choose when the key expires."))


def grace_from(form: Mapping[str, str]) -> timedelta:
    """The grace period a rotation gives the old key."""
    try:
        return GRACE_PERIODS[form.get("grace", "")]
    except KeyError:
        raise InvalidDuration(_l("Choose how long the old key keeps working.")) from None
