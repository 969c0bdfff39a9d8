"""The audit log: every security-relevant change, recorded append-only in a hash chain.

``record`` is called inside the transaction of the change it records, so a change that
commits always has its event and a change rolled back never does. ``chain.py`` appends
and verifies; ``queries.py`` reads events for people, the API and exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.models import User

MAX_USER_AGENT = 200

ACTIONS = (
    "user.created",
    "user.signed_in",
    "user.sign_in_failed",
    "user.role_changed",
    "user.deactivated",
    "user.reactivated",
    "user.sessions_ended",
    "user.session_ended",
    "user.password_changed",
    "user.password_reset_requested",
    "user.password_reset",
    "user.two_factor_enabled",
    "user.two_factor_disabled",
    "user.recovery_code_used",
    "user.recovery_codes_replaced",
    "key.created",
    "key.rotated",
    "key.revoked",
    "key.new_network",
)


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
        return cls(user.id, user.email, ip[:45], user_agent[:MAX_USER_AGENT])

    @classmethod
    def system(cls, name: str = "cli") -> Actor:
        """No user: the command line, or the service itself."""
        return cls(None, name)


def record(
    action: str,
    actor: Actor,
    *,
    target: str = "",
    subject_user_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an event to the chain, in the caller's write transaction."""
    from app.audit.chain import append
    from app.extensions import db

    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    append(db.session, action, actor, target, subject_user_id, details or {})
