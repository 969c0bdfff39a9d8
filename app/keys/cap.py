"""The key cap: at most ``MAX_ACTIVE_KEYS_PER_USER`` keys in use per user.

A key is in use from its creation until it is revoked or expires; a rotated key until its
grace period ends, so it counts until then. Creating a key adds one; rotating with a grace
period adds one too (the old key keeps working beside the new), rotating with none does not.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.keys.rules import KeyRefused
from app.models import ApiKey, User
from app.models.columns import utcnow


class TooManyKeys(KeyRefused):
    """The user already has ``MAX_ACTIVE_KEYS_PER_USER`` keys in use."""


def in_use(now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The conditions of a key that still works at ``now``: neither revoked nor expired."""
    return (ApiKey.revoked_at.is_(None), or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now))


def active_key_count(user_id: int) -> int:
    """How many keys of the user are in use (keys in a rotation's grace included)."""
    query = select(func.count(ApiKey.id)).where(ApiKey.user_id == user_id, *in_use(utcnow()))
    return db.session.scalar(query) or 0


def lock_owner(session: Session, user_id: int) -> None:
    """Lock the owner's row for this write transaction: two writers cannot both slip under.

    PostgreSQL's lock; SQLite's write transaction is alone already. FOR NO KEY UPDATE: rows
    that refer to the user (a key, an audit event) may still be written by others, so no
    lock order can deadlock on it.
    """
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def refuse_creating_past(user_id: int, max_active: int) -> None:
    """Raise ``TooManyKeys`` if one more key would take the user past ``max_active``."""
    if active_key_count(user_id) >= max_active:
        raise TooManyKeys(
            _l(
                "You already have %(count)d active keys. Revoke one you no longer use first.",
                count=max_active,
            )
        )


def refuse_rotating_past(user_id: int, max_active: int) -> None:
    """Raise ``TooManyKeys`` if a rotation with a grace period would pass ``max_active``."""
    if active_key_count(user_id) >= max_active:
        raise TooManyKeys(
            _l(
                "You have %(count)d keys in use, the most you may have, and the old key would "
                "keep working beside the new one. Rotate with the old key stopping now, or "
                "revoke a key you no longer use first.",
                count=max_active,
            )
        )
