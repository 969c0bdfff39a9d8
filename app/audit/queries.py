"""Reading the audit log: pages of events for people and the API, everything for export.

A user reading their own events sees who acted on their account by email, but not another
user's address or browser (an admin's, say); admins reading everyone's see everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from app.audit.actions import AuditAction
from app.extensions import db
from app.models import ApiKey, AuditEvent, User
from app.paging import Page, decode_cursor, encode_cursor, whole_number

# Events read at a time for an export: a long log never sits in memory whole.
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class SeenEvent:
    """An audit event as one reader sees it (the stored row itself is never changed)."""

    id: int
    at: datetime
    action: str
    actor_user_id: int | None
    actor_email: str
    ip: str
    user_agent: str
    target: str
    subject_user_id: int | None
    details: str

    @classmethod
    def of(cls, event: AuditEvent, viewer_id: int | None) -> SeenEvent:
        """``event`` as ``viewer_id`` sees it; None: an admin, who sees everything."""
        someone_else = viewer_id is not None and event.actor_user_id not in (None, viewer_id)
        return cls(
            id=event.id,
            at=event.at,
            action=event.action,
            actor_user_id=event.actor_user_id,
            actor_email=event.actor_email,
            # Another user's whereabouts are theirs: the email says who acted, and suffices.
            ip="" if someone_else else event.ip,
            user_agent="" if someone_else else event.user_agent,
            target=event.target,
            subject_user_id=event.subject_user_id,
            details=event.details,
        )


def events_page(
    *,
    limit: int,
    cursor: str | None = None,
    own_user_id: int | None = None,
    viewer_id: int | None = None,
    action: AuditAction | None = None,
    user_id: int | None = None,
    target: str | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[SeenEvent]:
    """Events newest first, ``limit`` at a time after ``cursor``, as their reader sees them.

    ``own_user_id``: only the events a user made or that concern them, as that user sees
    them; ``user_id`` (admins' filter): the same for any user; ``action`` and ``target``
    narrow further, as do ``actor_id`` (who acted) and ``since``/``until`` (from ``since``
    on, before ``until``). ``viewer_id``: who reads them, when not an admin and not
    ``own_user_id``: another user's address and browser are left out for them.
    """
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit + 1)
    for person in (own_user_id, user_id):
        if person is not None:
            query = query.where(
                or_(AuditEvent.actor_user_id == person, AuditEvent.subject_user_id == person)
            )
    if action:
        query = query.where(AuditEvent.action == action)
    if target:
        query = query.where(AuditEvent.target == target)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_user_id == actor_id)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    if cursor is not None:
        (before,) = decode_cursor(cursor, whole_number)
        query = query.where(AuditEvent.id < before)
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].id) if more else None
    viewer = own_user_id if own_user_id is not None else viewer_id
    return Page([SeenEvent.of(row, viewer) for row in rows], next_cursor)


def to_dict(event: AuditEvent | SeenEvent) -> dict[str, Any]:
    """An event as the API and exports show it."""
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "action": event.action,
        "actor": {"id": event.actor_user_id, "email": event.actor_email or None},
        "target": event.target or None,
        "ip": event.ip or None,
        "user_agent": event.user_agent or None,
        "details": json.loads(event.details),
    }


def all_events(since: datetime | None = None, batch: int | None = None) -> Iterator[AuditEvent]:
    """Every event (from ``since`` on), oldest first, read in batches (``EXPORT_BATCH``).

    Each batch is a range of the primary key after the last one read, on any database: the
    same constant memory as a server-side cursor, with no transaction held between batches.
    """
    batch = batch or EXPORT_BATCH
    after = 0
    while True:
        query = select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(batch)
        if since is not None:
            query = query.where(AuditEvent.at >= since)
        rows = list(db.session.scalars(query))
        if not rows:
            return
        yield from rows
        after = rows[-1].id
        db.session.expunge_all()  # a long log must not pile up in the session


def count_events(since: datetime | None = None) -> int:
    """How many events there are (from ``since`` on)."""
    query = select(func.count()).select_from(AuditEvent)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return db.session.scalar(query) or 0


@dataclass(frozen=True)
class NamedKey:
    """What an event's words say of the key it concerns."""

    name: str
    prefix: str
    owner_id: int


def named_subjects(events: list[SeenEvent]) -> tuple[dict[int, str], dict[str, NamedKey]]:
    """The emails of the users and the names of the keys ``events`` concern, in two reads."""
    user_ids = {event.subject_user_id for event in events if event.subject_user_id is not None}
    key_ids = {
        event.target.removeprefix("key:") for event in events if event.target.startswith("key:")
    }
    emails: dict[int, str] = {}
    if user_ids:
        rows = db.session.execute(select(User.id, User.email).where(User.id.in_(user_ids)))
        emails = {row.id: row.email for row in rows}
    keys: dict[str, NamedKey] = {}
    if key_ids:
        found = select(ApiKey.key_id, ApiKey.name, ApiKey.prefix, ApiKey.user_id).where(
            ApiKey.key_id.in_(key_ids)
        )
        keys = {
            row.key_id: NamedKey(row.name, row.prefix, row.user_id)
            for row in db.session.execute(found)
        }
    return emails, keys
