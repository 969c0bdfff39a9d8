"""An audit event: one security-relevant change, chained to the event before it.

Rows are only ever inserted (app/audit/chain.py), with ids in order and without gaps, each
carrying its own hash and the one before, so a change, removal or insertion shows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.columns import EMAIL_LENGTH, IP_LENGTH, USER_AGENT_LENGTH, UTCDateTime


class AuditEvent(Model):
    """Who did what, to what, from where, when; never a key or a password."""

    __tablename__ = "audit_events"
    # The admin filters and a key's page read a target's or an action's newest events.
    __table_args__ = (
        Index("ix_audit_events_action_id", "action", "id"),
        Index("ix_audit_events_target_id", "target", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # An ``AuditAction`` value, checked when it is recorded. Plain text when read back, so
    # the log stays readable whatever the code's list of actions becomes.
    action: Mapped[str] = mapped_column(String(40))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # The actor's email as it was then (and the email tried, for a failed sign-in).
    actor_email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), default="")
    ip: Mapped[str] = mapped_column(String(IP_LENGTH), default="")
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_LENGTH), default="")
    # What it was done to: "key:<key id>", "user:<id>".
    target: Mapped[str] = mapped_column(String(100), default="")
    # Whose account or key it concerns, so they see it among their own events.
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"
