"""An audit event: one security-relevant change, chained to the event before it.

Append-only: rows are only ever inserted (app/audit/chain.py), each carrying the hash of
the one before and its own, so ``flask audit verify`` finds any change, removal or
insertion. Ids are given in order without gaps under the append's lock, so a removed
row is named by its id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.columns import UTCDateTime


class AuditEvent(db.Model):
    """Who did what, to what, from where, when; never a key or a password."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_action_id", "action", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The actor's email as it was then (and the email tried, for a failed sign-in).
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    # What it was done to: "key:<key id>", "user:<id>".
    target: Mapped[str] = mapped_column(String(100), default="")
    # Whose account or key it concerns, so they see it among their own events.
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"
