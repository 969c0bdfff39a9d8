"""Rotation: a key replaced without an outage, the old one kept for a grace period."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import write_transaction
from app.extensions import db
from app.keys import signals
from app.keys.cap import lock_owner, refuse_rotating_past
from app.keys.format import is_key_id
from app.keys.hmac_verifier import VerifierSecret
from app.keys.prepared import prepare_key
from app.keys.rules import KeyRefused
from app.keys.scope import KeyScope
from app.keys.status import KeyStatus
from app.models import ApiKey
from app.models.columns import iso_or_none, utcnow


class CannotRotate(KeyRefused):
    """The key is revoked, expired, or already replaced."""


def rotate_key(
    key_id: str,
    *,
    owner_id: int | None,
    grace: timedelta,
    rounds: int,
    verifier: VerifierSecret,
    max_active: int,
    actor: Actor | None = None,
) -> tuple[ApiKey, ApiKey, str] | None:
    """Replace a key: (old row, new row, new full key), or None when there is no such key.

    The new key has the old one's name, owner, access, description, permissions, allowed
    networks, rate limit and disabled state, and the same lifetime if the old one had one.
    The old key keeps working until ``grace`` from now, then counts as expired; its
    ``replaced_by`` names the new key. Raises ``CannotRotate`` for a revoked, expired or
    already replaced key, and ``TooManyKeys`` when the old key, kept for its
    grace, would take the owner past ``max_active`` keys in use (app/keys/cap.py).
    """
    if not is_key_id(key_id):
        return None
    # Checked before bcrypt, which is the slow part, and again under the locks below.
    old = _find(db.session(), key_id, owner_id, lock=False)
    if old is None:
        return None
    _check_rotatable(old, grace, max_active, utcnow())
    owner = old.user_id
    made = prepare_key(rounds, verifier)
    now = utcnow()
    with write_transaction() as session:
        lock_owner(session, owner)
        old = _find(session, key_id, owner, lock=True)
        if old is None:
            return None
        _check_rotatable(old, grace, max_active, now)
        lifetime = None if old.expires_at is None else old.expires_at - old.created_at
        new = made.row(
            old.user_id, old.name, None if lifetime is None else now + lifetime, old.access
        )
        # Everything that narrows the old key narrows the new one, a pause included.
        KeyScope.of(old).apply(new)
        new.disabled_at = old.disabled_at
        session.add(new)
        session.flush()
        old.replaced_by = new.key_id
        # The grace shortens the old key's life, never lengthens it past its own expiry.
        ends = now + grace
        old.expires_at = ends if old.expires_at is None else min(old.expires_at, ends)
        signals.send_key_changing(key_id)
        audit.record(
            AuditAction.KEY_ROTATED,
            actor or Actor.system(),
            target=f"key:{old.key_id}",
            subject_user_id=old.user_id,
            details={"replaced_by": new.key_id, "old_key_expires_at": iso_or_none(old.expires_at)},
        )
    signals.send_key_changed(key_id)
    return old, new, made.value


def _find(session: Session, key_id: str, owner_id: int | None, *, lock: bool) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.key_id == key_id)
    if owner_id is not None:
        query = query.where(ApiKey.user_id == owner_id)
    if lock:
        # Read afresh under the lock: a revocation or rotation since the first look counts.
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return session.scalar(query)


def _check_rotatable(old: ApiKey, grace: timedelta, max_active: int, now: datetime) -> None:
    _check_status(old, now)
    if grace > timedelta(0):
        # The old key works on beside the new one until its grace ends: one more in use.
        refuse_rotating_past(old.user_id, max_active)


def _check_status(old: ApiKey, now: datetime) -> None:
    if old.replaced_by is not None:
        raise CannotRotate(
            _l("This key was already replaced by %(key_id)s.", key_id=old.replaced_by)
        )
    status = old.status_at(now)
    if status == KeyStatus.REVOKED:
        raise CannotRotate(_l("A revoked key cannot be rotated. Create a new key instead."))
    if status not in (KeyStatus.ACTIVE, KeyStatus.DISABLED):
        raise CannotRotate(_l("An expired key cannot be rotated. Create a new key instead."))


def replaced_key(key_id: str) -> ApiKey | None:
    """The key that ``key_id`` replaced by rotation, if any."""
    return db.session.scalar(select(ApiKey).where(ApiKey.replaced_by == key_id))
