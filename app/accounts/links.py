"""One-time links sent by mail: a random token, kept only as its hash, used once, until expiry.

A password reset and a sign-up each mail one. ``issue`` and ``redeem`` run in the caller's
write transaction; ``redeem`` is one conditional UPDATE, so two clicks at once cannot both
use a link. Time is read through ``now()`` (``time.time``), which tests move.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from app.database import rows_changed
from app.extensions import db
from app.models import OneTimeLink
from app.models.one_time_link import LinkPurpose

LIFETIME = timedelta(hours=1)
# The token's length in the URL (43 characters of token_urlsafe(32): 256 bits).
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 64


def now() -> datetime:
    """The current time in UTC, from ``time.time``."""
    return datetime.fromtimestamp(time.time(), UTC)


def hash_of(token: str) -> str:
    """What the database keeps of a link's token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue(
    purpose: LinkPurpose,
    *,
    email: str,
    user_id: int | None = None,
    password_hash: str | None = None,
    locale: str | None = None,
) -> str:
    """Record a new link (in the caller's write transaction); its token, for the mail only."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    issued = now()
    db.session.add(
        OneTimeLink(
            purpose=purpose.value,
            token_hash=hash_of(token),
            user_id=user_id,
            email=email,
            password_hash=password_hash,
            locale=locale,
            created_at=issued,
            expires_at=issued + LIFETIME,
        )
    )
    return token


def find(purpose: LinkPurpose, token: str) -> OneTimeLink | None:
    """The link behind ``token`` while it is unused and unexpired, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    link = db.session.scalar(
        select(OneTimeLink).where(
            OneTimeLink.token_hash == hash_of(token), OneTimeLink.purpose == purpose.value
        )
    )
    if link is None or link.used_at is not None or link.expires_at <= now():
        return None
    return link


def redeem(purpose: LinkPurpose, token: str) -> OneTimeLink | None:
    """Use the link behind ``token`` (in the caller's write transaction); None if it cannot be.

    Only one caller ever gets the link back: the update is conditional on it being unused.
    """
    link = find(purpose, token)
    if link is None:
        return None
    used = rows_changed(
        update(OneTimeLink)
        .where(OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None))
        .values(used_at=now())
    )
    if used != 1:
        return None
    db.session.refresh(link)
    return link


def cancel_for(user_id: int, purpose: LinkPurpose) -> None:
    """Close every unused link of ``purpose`` for the user (their password just changed)."""
    db.session.execute(
        update(OneTimeLink)
        .where(
            OneTimeLink.user_id == user_id,
            OneTimeLink.purpose == purpose.value,
            OneTimeLink.used_at.is_(None),
        )
        .values(used_at=now())
    )
