"""A link sent by mail that works once, until it expires: a password reset, a sign-up.

The row keeps the SHA-256 of the link's token, never the token: a database dump opens no
link. A sign-up's row also holds the bcrypt hash of the password chosen, until the link is
followed and the account is made.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.columns import UTCDateTime


class LinkPurpose(StrEnum):
    """What a one-time link does when it is followed."""

    PASSWORD_RESET = "password_reset"  # noqa: S105  (a name, not a password)
    SIGN_UP = "sign_up"


class OneTimeLink(Model):
    """A mailed link: for whom, what for, until when, and when it was used."""

    __tablename__ = "one_time_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(60))
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
