"""A signed-in browser session, kept on the server so that signing out really ends it.

The cookie carries a random token; the row holds only its SHA-256, so a database dump
signs nobody in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.columns import IP_LENGTH, USER_AGENT_LENGTH, UTCDateTime, utcnow


class UserSession(Model):
    """One sign-in: from where, when, and when it was last used or ended."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str] = mapped_column(String(IP_LENGTH), default="")
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_LENGTH), default="")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"
