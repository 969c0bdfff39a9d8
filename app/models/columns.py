"""Column types and widths shared by the models, and the clock they are written with."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Enum
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# The longest address a client can have in text: IPv6 with an IPv4 tail.
IP_LENGTH = 45
# The longest email address SMTP (RFC 5321) can deliver to.
EMAIL_LENGTH = 254
# A user agent is kept to identify a client, not whole: the rest is cut off.
USER_AGENT_LENGTH = 200


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def iso_or_none(moment: datetime | None) -> str | None:
    """``moment`` in ISO 8601 (as the API and the audit log show times), or None."""
    return None if moment is None else moment.isoformat()


def enum_type(enum: type[StrEnum], length: int) -> Enum:
    """A column of ``enum``'s values: read back as members, an unknown value refused on write.

    Stored as plain text (no database enum type, no constraint), so a new member needs no
    migration as long as it fits in ``length``.
    """
    return Enum(
        enum,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always read back as an aware UTC ``datetime``.

    SQLite keeps no time zone and PostgreSQL's ``timestamptz`` does; this type makes both
    behave alike, so ``isoformat()`` always ends in ``+00:00``.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC before it is stored."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Mark a stored naive UTC datetime as UTC."""
        return None if value is None else value.replace(tzinfo=UTC)
