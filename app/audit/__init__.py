"""The audit log: every security-relevant change, recorded append-only in a hash chain.

``record`` runs inside the transaction of the change it records, so a change that commits
always has its event and one rolled back never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.audit.actions import AuditAction
from app.models.columns import EMAIL_LENGTH, IP_LENGTH, USER_AGENT_LENGTH

if TYPE_CHECKING:
    from app.models import User


@dataclass(frozen=True)
class Actor:
    """Who made a change and from where (an empty address and agent for the CLI)."""

    user_id: int | None
    email: str
    ip: str = ""
    user_agent: str = ""

    @classmethod
    def for_user(cls, user: User, ip: str = "", user_agent: str = "") -> Actor:
        """``user`` acting from ``ip`` with ``user_agent``."""
        return cls(user.id, user.email, ip[:IP_LENGTH], user_agent[:USER_AGENT_LENGTH])

    @classmethod
    def anonymous(cls, ip: str, user_agent: str, *, email: str = "") -> Actor:
        """Nobody signed in, from ``ip`` with ``user_agent`` (``email``: the one typed, if any)."""
        return cls(None, email[:EMAIL_LENGTH], ip[:IP_LENGTH], user_agent[:USER_AGENT_LENGTH])

    @classmethod
    def system(cls, name: str = "cli") -> Actor:
        """No user: the command line, or the service itself."""
        return cls(None, name)


def record(
    action: AuditAction,
    actor: Actor,
    *,
    target: str = "",
    subject_user_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an event to the chain, in the caller's write transaction."""
    from app.audit.chain import append
    from app.extensions import db

    try:
        action = AuditAction(action)
    except ValueError:
        raise ValueError(f"unknown audit action {action!r}") from None
    append(db.session(), action, actor, target, subject_user_id, details or {})
