"""A recovery code: signs in once in place of a TOTP code, for a user who lost their device.

Only the SHA-256 of each code is kept (app/accounts/recovery_codes.py says why that is
enough for codes of 80 random bits).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.columns import UTCDateTime, utcnow


class RecoveryCode(Model):
    """One of a user's ten recovery codes, and when it was used (if it was)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
