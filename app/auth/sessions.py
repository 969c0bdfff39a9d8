"""Console sessions kept on the server: start, find alive, end one, end all others, prune.

A signed cookie alone stays valid for as long as it says, so it also carries a token naming
a ``user_sessions`` row; signing out ends the row, and a copied cookie dies with it. Ended
rows stay ``KEEP_DAYS`` (where a user signed in from counts for their sign-in budget), then
``prune_old`` deletes them (``flask sessions prune``) in batches of ``PRUNE_BATCH``, each
found by a read and deleted by primary key in its own short transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from app import audit
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import rows_changed, write_transaction
from app.extensions import db
from app.keys.format import redact_keys
from app.models import User, UserSession
from app.models.columns import IP_LENGTH, USER_AGENT_LENGTH, utcnow

# last_seen_at is written at most this often: reading a page must not always write.
SEEN_EVERY = timedelta(minutes=1)
# Random bytes in a session token.
TOKEN_BYTES = 32
# Days a session's row stays once its lifetime is over, however it ended.
KEEP_DAYS = 90
PRUNE_BATCH = 5000


def hash_of(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, ip: str, user_agent: str) -> str:
    """Start a session for ``user`` (a sign-in, recorded); its token, for the cookie only."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction() as session:
        session.add(
            UserSession(
                token_hash=hash_of(token),
                user_id=user.id,
                ip=ip[:IP_LENGTH],
                user_agent=redact_keys(user_agent)[:USER_AGENT_LENGTH],
            )
        )
        audit.record(
            AuditAction.USER_SIGNED_IN,
            Actor.for_user(user, ip, user_agent),
            target=f"user:{user.id}",
            subject_user_id=user.id,
        )
    return token


def find_alive(token: str, idle: timedelta, lifetime: timedelta) -> UserSession | None:
    """The living session behind ``token``, its last use noted; None when it has ended.

    A session ends when signed out, when unused for ``idle``, or ``lifetime`` after it
    began, whichever comes first.
    """
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == hash_of(token)))
    now = utcnow()
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at >= idle or now - row.created_at >= lifetime:
        return None
    if now - row.last_seen_at >= SEEN_EVERY:
        _touch(row.id, now)
    return row


def _touch(session_id: int, now: datetime) -> None:
    with write_transaction() as session:
        session.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
        )


def end(token: str) -> None:
    """End the session behind ``token`` (signing out)."""
    with write_transaction() as session:
        session.execute(
            update(UserSession)
            .where(UserSession.token_hash == hash_of(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_all(user_id: int, *, keep: str | None = None) -> int:
    """End every living session of the user (but ``keep``'s); how many were ended.

    Runs in the caller's transaction when there is one that writes (a role change ends
    the user's sessions in the same commit).
    """
    statement = (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    if keep is not None:
        statement = statement.where(UserSession.token_hash != hash_of(keep))
    return rows_changed(statement)


def end_others(user_id: int, token: str, actor: Actor) -> int:
    """End every living session of the user but the one behind ``token``; how many."""
    with write_transaction():
        ended = end_all(user_id, keep=token)
        audit.record(
            AuditAction.USER_SESSIONS_ENDED,
            actor,
            target=f"user:{user_id}",
            subject_user_id=user_id,
            details={"sessions": ended},
        )
    return ended


def alive_for(user_id: int, idle: timedelta, lifetime: timedelta) -> list[UserSession]:
    """The user's living sessions, most recently used first."""
    now = utcnow()
    query = (
        select(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.ended_at.is_(None),
            UserSession.last_seen_at > now - idle,
            UserSession.created_at > now - lifetime,
        )
        .order_by(UserSession.last_seen_at.desc())
    )
    return list(db.session.scalars(query))


def signed_in_from(user_id: int, ip: str) -> bool:
    """Whether the user ever signed in from ``ip`` (their usual address, for sign-in budgets)."""
    query = select(UserSession.id).where(UserSession.user_id == user_id, UserSession.ip == ip)
    return db.session.scalar(query.limit(1)) is not None


def prune_old(lifetime: timedelta, batch: int = PRUNE_BATCH) -> int:
    """Delete the sessions begun over ``lifetime`` + ``KEEP_DAYS`` ago; how many.

    Such a session ended (its lifetime at the latest) at least ``KEEP_DAYS`` ago. Rows are
    found in the order of their ids (the order they began in), ``batch`` at a time.
    """
    cutoff = utcnow() - lifetime - timedelta(KEEP_DAYS)
    after = deleted = 0
    while True:
        found = select(UserSession.id).where(
            UserSession.id > after, UserSession.created_at < cutoff
        )
        ids = list(db.session.scalars(found.order_by(UserSession.id).limit(batch)))
        if not ids:
            return deleted
        with write_transaction():
            deleted += rows_changed(delete(UserSession).where(UserSession.id.in_(ids)))
        if len(ids) < batch:
            return deleted
        after = ids[-1]
