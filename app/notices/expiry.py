"""Reminders that a key expires within ``EXPIRY_NOTICE_DAYS`` days, mailed once per key.

``flask notices send`` runs ``send_expiry_notices`` as often as anyone likes, from as many
hosts as there are. Each key's reminder is *claimed* before it is mailed: one UPDATE sets
``expiry_notice_at`` only where it is still unset, and commits. Whoever's UPDATE changed
the row mails it; any other run (PostgreSQL waits on the row, SQLite writes one at a time)
changes nothing and mails nothing. A mail that cannot be delivered gives its claim back,
so the next run tries again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.database import rows_changed, write_transaction
from app.extensions import db
from app.mail import send_now
from app.models import ApiKey, User
from app.models.columns import utcnow
from app.notices import about_key

EXPIRY_NOTICE_DAYS = 7


def due(now: datetime) -> list[int]:
    """The keys whose reminder is due: in use, expiring within the window, not yet claimed.

    A rotated key's expiry is the end of its grace, which its owner chose: no reminder.
    """
    query = (
        select(ApiKey.id)
        .join(User, User.id == ApiKey.user_id)
        .where(
            ApiKey.revoked_at.is_(None),
            ApiKey.replaced_by.is_(None),
            ApiKey.expiry_notice_at.is_(None),
            ApiKey.expires_at > now,
            ApiKey.expires_at <= now + timedelta(days=EXPIRY_NOTICE_DAYS),
            User.active.is_(True),
            User.notify_expiry.is_(True),
        )
        .order_by(ApiKey.expires_at)
    )
    return list(db.session.scalars(query))


def claim(key_pk: int, now: datetime) -> bool:
    """Take the key's reminder for this run; False when another run has it already."""
    statement = (
        update(ApiKey)
        .where(ApiKey.id == key_pk, ApiKey.expiry_notice_at.is_(None))
        .values(expiry_notice_at=now)
    )
    with write_transaction():
        return rows_changed(statement) == 1


def give_back(key_pk: int) -> None:
    """Undo a claim whose mail did not go, so that a later run sends it."""
    with write_transaction():
        rows_changed(update(ApiKey).where(ApiKey.id == key_pk).values(expiry_notice_at=None))


def send_expiry_notices(now: datetime | None = None) -> int:
    """Mail each reminder that is due and not taken by another run; how many were sent."""
    now = now or utcnow()
    sent = 0
    for key_pk in due(now):
        if not claim(key_pk, now):
            continue
        key = db.session.get(ApiKey, key_pk)
        if key is None or key.expires_at is None:
            continue
        message = about_key(key.user, "key_expiring", key, expires_at=key.expires_at)
        if send_now(message):
            sent += 1
        else:
            give_back(key_pk)
    return sent
