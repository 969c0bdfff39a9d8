"""Reading the audit log: pages of events for people and the API, everything for export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from app.audit.actions import AuditAction
from app.extensions import db
from app.models import AuditEvent
from app.paging import Page, decode_cursor, encode_cursor, whole_number

# Events read at a time for an export: a long log never sits in memory whole.
EXPORT_BATCH = 1000


def events_page(
    *,
    limit: int,
    cursor: str | None = None,
    own_user_id: int | None = None,
    action: AuditAction | None = None,
    user_id: int | None = None,
    target: str | None = None,
) -> Page[AuditEvent]:
    """Events newest first, ``limit`` at a time after ``cursor``.

    ``own_user_id``: only the events a user made or that concern them; ``user_id``
    (admins' filter): the same for any user; ``action`` and ``target`` narrow further.
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
    if cursor is not None:
        (before,) = decode_cursor(cursor, whole_number)
        query = query.where(AuditEvent.id < before)
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].id) if more else None
    return Page(rows, next_cursor)


def to_dict(event: AuditEvent) -> dict[str, Any]:
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


def all_events(since: datetime | None = None, batch: int = EXPORT_BATCH) -> Iterator[AuditEvent]:
    """Every event (from ``since`` on), oldest first, read in batches."""
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
