"""A forgotten password: a link mailed to the account's address, good once for an hour.

``request_reset`` answers nothing about the address: the caller shows the same page
whether or not it has an account, and both cases write one audit event, so they cost
alike. The link carries a random token; only its hash is stored (``links.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from app import audit
from app.accounts import get_user, get_user_by_email, links
from app.accounts.password_changes import LinkGone, set_password
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import write_transaction
from app.mail import tell
from app.models import User
from app.models.one_time_link import LinkPurpose

__all__ = ["LinkGone", "request_reset", "reset_password", "user_of_link"]


def request_reset(email: str, *, actor: Actor, link_for: Callable[[str, str | None], str]) -> None:
    """Mail a reset link when ``email`` has an active account; do nothing else visible.

    ``link_for(token, locale)`` makes the link's absolute URL in the user's language.
    """
    user = get_user_by_email(email or "")
    if user is not None and not user.active:
        user = None
    with write_transaction():
        token = None
        if user is not None:
            token = links.issue(LinkPurpose.PASSWORD_RESET, email=user.email, user_id=user.id)
        audit.record(
            AuditAction.USER_PASSWORD_RESET_REQUESTED,
            Actor.anonymous(actor.ip, actor.user_agent, email=email or ""),
            target=f"user:{user.id}" if user is not None else "",
            subject_user_id=user.id if user is not None else None,
        )
    if user is not None and token is not None:
        tell(user, "password_reset", link=link_for(token, user.locale), hours=1)


def user_of_link(token: str) -> User | None:
    """The active user a reset link (still unused and unexpired) is for, else None."""
    link = links.find(LinkPurpose.PASSWORD_RESET, token)
    if link is None or link.user_id is None:
        return None
    user = get_user(link.user_id)
    return user if user is not None and user.active else None


def reset_password(token: str, new_password: str | None, *, rounds: int, actor: Actor) -> User:
    """Set a new password through a reset link; every session of the user ends.

    Raises ``LinkGone`` for a used or expired link, ``AccountRefused`` for a password
    the rules refuse (the link stays usable then).
    """
    user = user_of_link(token)
    if user is None:
        raise LinkGone(token)
    set_password(
        user,
        new_password,
        rounds=rounds,
        actor=Actor.for_user(user, actor.ip, actor.user_agent),
        action=AuditAction.USER_PASSWORD_RESET,
        reset_token=token,
    )
    return user
