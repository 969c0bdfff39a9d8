"""A signed-in browser session, kept on the server so that signing out really ends it.

The session cookie (signed by Flask) carries a random token; the row holds only its
SHA-256, so a database dump signs nobody in. A session is alive while it has not been
ended, was used within ``SESSION_IDLE_TIMEOUT`` and began within ``SESSION_LIFETIME``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.columns import UTCDateTime, utcnow


class UserSession(db.Model):
    """One sign-in: from where, when, and when it was last used or ended."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"
