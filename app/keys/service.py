"""Create, find and revoke keys: the operations behind the console, the API and the CLI.

Every change is written with its audit event in one transaction (app/audit). A change the
API must see is announced before it commits, and refused if it cannot be passed on
(app/keys/signals.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from app import audit
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import write_transaction
from app.extensions import db
from app.keys import signals
from app.keys.access import KeyAccess
from app.keys.cap import TooManyKeys, active_key_count, lock_owner, refuse_creating_past
from app.keys.format import is_key_id
from app.keys.hmac_verifier import VerifierSecret
from app.keys.leak import Leak
from app.keys.prepared import prepare_key
from app.keys.rules import check_access, check_expiry, clean_key_name
from app.keys.scope import KeyScope
from app.models import ApiKey, User
from app.models.columns import iso_or_none, utcnow
from app.ratelimit import rate_limit_for


def create_key(
    user: User,
    name: str | None,
    *,
    rounds: int,
    verifier: VerifierSecret,
    max_active: int,
    expires_at: datetime | None = None,
    expires_in: timedelta | None = None,
    access: KeyAccess | str = KeyAccess.FULL,
    actor: Actor | None = None,
    scope: KeyScope | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for ``user``; return the row and the full key, which is never stored.

    Hashed at bcrypt cost ``rounds``, with a verifier under ``verifier``; at most
    ``max_active`` keys in use per user (app/keys/cap.py). The key expires at
    ``expires_at``, or ``expires_in`` after it is made. ``scope``: its description,
    permissions, allowed networks and own rate limit (app/keys/scope.py). Raises
    ``InvalidKeyName``, ``InvalidAccess``, ``InvalidExpiry``, ``TooManyKeys`` or the
    refusals of ``KeyScope.cleaned``.
    """
    name = clean_key_name(name)
    access = check_access(access)
    scope = (scope or KeyScope()).cleaned(access, rate_limit_for(user.role))
    user_id = user.id
    refuse_creating_past(user_id, max_active)  # before bcrypt, which is the slow part
    made = prepare_key(rounds, verifier)
    # The key exists from now, not from the call: bcrypt above takes a good part of a second.
    made_at = utcnow()
    if expires_in is not None:
        expires_at = made_at + expires_in
    check_expiry(expires_at, made_at)
    with write_transaction() as session:
        # Counted again with the owner's row locked: two creates cannot both slip under.
        lock_owner(session, user_id)
        refuse_creating_past(user_id, max_active)
        row = made.row(user_id, name, expires_at, access, created_at=made_at)
        scope.apply(row)
        session.add(row)
        session.flush()
        audit.record(
            AuditAction.KEY_CREATED,
            actor or Actor.for_user(user),
            target=f"key:{row.key_id}",
            subject_user_id=user_id,
            details={
                "name": name,
                "access": access,
                "expires_at": iso_or_none(expires_at),
                **scope.details(),
            },
        )
    return row, made.value


def get_key(key_id: str, *, owner_id: int | None) -> ApiKey | None:
    """The key with this key id, if it belongs to ``owner_id`` (any owner when None)."""
    if not is_key_id(key_id):
        return None
    query = select(ApiKey).where(ApiKey.key_id == key_id)
    if owner_id is not None:
        query = query.where(ApiKey.user_id == owner_id)
    return db.session.scalar(query)


def revoke_key(
    key_id: str, *, owner_id: int | None, actor: Actor | None = None, leak: Leak | None = None
) -> ApiKey | None:
    """Revoke a key for good; return it, or None when the owner has no such key.

    One owner-scoped UPDATE: someone else's key id changes nothing. Revoking a revoked key
    keeps its first revocation time (and records nothing more). With ``leak``, the key was
    found in public: that is recorded on the key and audited as ``key.leaked``.
    """
    if not is_key_id(key_id):
        return None
    now = utcnow()
    values: dict[str, object] = {"revoked_at": now}
    if leak is not None:
        values |= {"leaked_at": now, "leak_url": leak.stored_url}
    statement = (
        update(ApiKey)
        .where(ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None))
        .values(values)
        .returning(ApiKey.user_id, ApiKey.name)
    )
    if owner_id is not None:
        statement = statement.where(ApiKey.user_id == owner_id)
    with write_transaction() as session:
        revoked = session.execute(statement).first()
        if revoked is not None:
            signals.send_key_changing(key_id)
            details: dict[str, object] = {"name": revoked.name}
            if leak is not None:
                details |= leak.details(revoked=True)
            audit.record(
                AuditAction.KEY_REVOKED if leak is None else AuditAction.KEY_LEAKED,
                actor or Actor.system(),
                target=f"key:{key_id}",
                subject_user_id=revoked.user_id,
                details=details,
            )
    if revoked is not None:
        signals.send_key_changed(key_id)
    return get_key(key_id, owner_id=owner_id)


# Rotation and the reversible changes have modules of their own; callers find every key
# operation here.
from app.keys.changes import (  # noqa: E402
    CannotEnable,
    KeyEdit,
    disable_key,
    edit_key,
    enable_key,
)
from app.keys.rotation import CannotRotate, replaced_key, rotate_key  # noqa: E402

__all__ = [
    "CannotEnable",
    "CannotRotate",
    "KeyEdit",
    "KeyScope",
    "TooManyKeys",
    "active_key_count",
    "create_key",
    "disable_key",
    "edit_key",
    "enable_key",
    "get_key",
    "replaced_key",
    "revoke_key",
    "rotate_key",
]
