"""Changing a user's role and active flag, keeping the invariants that go with them.

There is always an active admin (the last one cannot be demoted or deactivated), and a
promotion says how many full-access keys gained power; the user sees a notice until dismissed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from app import audit, notices
from app.accounts import messages
from app.accounts.messages import AccountRefused
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import write_transaction
from app.extensions import db
from app.keys import signals
from app.keys.key_list import acts_with_role
from app.models import ApiKey, User
from app.models.columns import utcnow
from app.roles import Role


@dataclass(frozen=True)
class UserChange:
    """What a change did: the user, their role before, and the keys that gained power."""

    user: User
    old_role: Role
    empowered_keys: int

    @property
    def role_rose(self) -> bool:
        """Whether the user's role went up."""
        return self.user.role.outranks(self.old_role)


def check_role(role: object) -> Role:
    """Return ``role`` as a ``Role``, or raise ``AccountRefused``."""
    if isinstance(role, str):
        try:
            return Role(role)
        except ValueError:
            pass
    roles = ", ".join(Role)
    raise AccountRefused(messages.UNKNOWN_ROLE % {"role": role, "roles": roles})


def update_user(
    user: User,
    *,
    role: Role | str | None = None,
    active: bool | None = None,
    by: int | None = None,
    actor: Actor | None = None,
) -> UserChange:
    """Change a user's role and/or active flag; takes effect on their next request.

    ``by`` is the admin making the change: admins cannot demote or deactivate themselves,
    so a slip cannot leave the service without an admin.
    """
    if role is not None:
        role = check_role(role)
    if active is not None and not isinstance(active, bool):
        raise AccountRefused(messages.ACTIVE_NOT_BOOLEAN)
    takes_admin_away = role not in (None, Role.ADMIN) or active is False
    if by == user.id and takes_admin_away:
        raise AccountRefused(messages.CANNOT_DEMOTE_SELF)
    actor = actor or Actor.system()
    with write_transaction() as session:
        if takes_admin_away:
            # Lock the active admins' rows (PostgreSQL; SQLite's write transaction is alone
            # already), so two admins demoting each other at once cannot both count the
            # other as the admin who stays. FOR NO KEY UPDATE, as in app/keys/service.py.
            admins = session.scalars(
                select(User.id)
                .where(User.role == Role.ADMIN, User.active.is_(True))
                .with_for_update(key_share=True)
            ).all()
            session.refresh(user)
            if user.id in admins and len(admins) <= 1:
                raise AccountRefused(messages.LAST_ADMIN)
        old_role, was_active = user.role, user.active
        empowered = 0
        if role is not None and role != old_role:
            user.role = role
            empowered = _note_role_change(user, old_role)
            audit.record(
                AuditAction.USER_ROLE_CHANGED,
                actor,
                target=f"user:{user.id}",
                subject_user_id=user.id,
                details={"from": old_role, "to": role, "full_keys_gaining_power": empowered},
            )
        if active is not None and active != was_active:
            user.active = active
            audit.record(
                AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED,
                actor,
                target=f"user:{user.id}",
                subject_user_id=user.id,
            )
        if user.role != old_role or user.active != was_active:
            signals.send_user_changing(user.id)
    signals.send_user_changed(user.id)
    if empowered:
        notices.tell_role_raised(user, old_role, empowered)
    return UserChange(user, old_role, empowered)


def _note_role_change(user: User, old_role: Role) -> int:
    """Set or clear the user's notice; how many of their keys gained power."""
    if user.role.outranks(old_role):
        if user.role_raised_from is None:
            user.role_raised_from = old_role
        user.role_raised_at = utcnow()
        return empowered_keys(user.id)
    # Back down to where the notice began (or below): no key has more power than before.
    if user.role_raised_from is not None and not user.role.outranks(user.role_raised_from):
        user.role_raised_from = user.role_raised_at = None
    return 0


def empowered_keys(user_id: int) -> int:
    """The user's active keys a role change gives more power (``acts_with_role``)."""
    now = utcnow()
    query = select(func.count(ApiKey.id)).where(
        ApiKey.user_id == user_id,
        acts_with_role(),
        ApiKey.disabled_at.is_(None),
        ApiKey.revoked_at.is_(None),
        or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
    )
    return db.session.scalar(query) or 0


def dismiss_role_notice(user: User) -> None:
    """The user has read their notice: hide it."""
    with write_transaction():
        user.role_raised_from = user.role_raised_at = None
