"""A new password: changed by its owner, reset through a mailed link, or set by an operator.

Each applies the sign-up rules (``passwords.py``), hashes before the write transaction
(bcrypt never runs inside one), ends sessions (all but the owner's own when they change it,
every one otherwise), closes any reset link still open, records the event and, once that
has committed, mails the owner that their password changed.
"""

from __future__ import annotations

from app import audit
from app.accounts import links
from app.accounts import security_messages as messages
from app.accounts.messages import AccountRefused
from app.accounts.passwords import check_password
from app.audit import Actor
from app.audit.actions import AuditAction
from app.auth import sessions
from app.database import write_transaction
from app.hashing import check_secret, hash_secret
from app.mail import tell
from app.models import User
from app.models.one_time_link import LinkPurpose


class WrongPassword(AccountRefused):
    """The current password given was not right (a guess, counted like a failed sign-in)."""


class LinkGone(LookupError):
    """The link was used already, has expired, or never existed."""


def change_password(
    user: User,
    current_password: str | None,
    new_password: str | None,
    *,
    rounds: int,
    actor: Actor,
    keep_session: str | None = None,
) -> int:
    """The owner changes their password; every other session ends. How many ended.

    ``keep_session`` is the token of the session making the change.
    """
    current = (current_password or "").encode("utf-8", "surrogatepass")
    if not check_secret(current, user.password_hash):
        raise WrongPassword(messages.WRONG_CURRENT_PASSWORD)
    if new_password == current_password:
        raise AccountRefused(messages.SAME_PASSWORD)
    return set_password(
        user,
        new_password,
        rounds=rounds,
        actor=actor,
        action=AuditAction.USER_PASSWORD_CHANGED,
        keep_session=keep_session,
    )


def set_password(
    user: User,
    new_password: str | None,
    *,
    rounds: int,
    actor: Actor,
    action: AuditAction = AuditAction.USER_PASSWORD_CHANGED,
    keep_session: str | None = None,
    reset_token: str | None = None,
) -> int:
    """Give ``user`` a new password and end their sessions; how many ended.

    With ``reset_token``, the reset link is used up in the same transaction, or
    ``LinkGone`` is raised and nothing changes.
    """
    hashed = hash_secret(check_password(new_password, email=user.email), rounds)
    with write_transaction():
        used = reset_token is None or links.redeem(LinkPurpose.PASSWORD_RESET, reset_token)
        if not used:
            raise LinkGone(reset_token)
        user.password_hash = hashed
        ended = sessions.end_all(user.id, keep=keep_session)
        links.cancel_for(user.id, LinkPurpose.PASSWORD_RESET)
        audit.record(
            action,
            actor,
            target=f"user:{user.id}",
            subject_user_id=user.id,
            details={"sessions_ended": ended},
        )
    tell(user, "password_changed")
    return ended
