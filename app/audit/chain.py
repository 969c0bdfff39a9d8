"""The hash chain: appending an event under a short lock, and checking the whole chain.

Each event's hash is SHA-256 over canonical JSON of its fields and the previous hash. An
append locks (PostgreSQL's advisory lock; SQLite writes one at a time) before reading the
last event, so writers on every worker and host extend one chain with gapless ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any, NamedTuple

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.audit import Actor
from app.audit.actions import AuditAction
from app.keys.format import redact_keys
from app.models import AuditEvent
from app.models.columns import EMAIL_LENGTH, IP_LENGTH, USER_AGENT_LENGTH, utcnow

GENESIS = "0" * 64
# Any constant names the lock; this one spells "audit".
_LOCK_ID = 0x6175646974


def storable(text: str) -> str:
    """``text`` as any database stores it: a NUL (which PostgreSQL refuses) as U+FFFD.

    What people type or send ends up here (the email of a failed sign-in, a user agent).
    """
    return text.replace("\x00", "\ufffd")


def recordable(text: str, length: int | None = None) -> str:
    """``text`` as an event keeps it: keys redacted, storable, at most ``length`` long.

    A key turns up where none belongs: typed as an email, sent inside a user agent.
    """
    # Redacted before it is cut, so a key the cut would shorten is still recognised.
    return storable(redact_keys(text))[:length]


def canonical_details(details: dict[str, Any]) -> str:
    """``details`` as the canonical JSON stored and hashed."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    """The hash an event with these fields must carry after ``prev_hash``."""
    fields = {
        "id": event.id,
        "at": event.at.isoformat(),
        "action": event.action,
        "actor_user_id": event.actor_user_id,
        "actor_email": event.actor_email,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "target": event.target,
        "subject_user_id": event.subject_user_id,
        "details": event.details,
        "prev_hash": prev_hash,
    }
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def append(
    session: Session,
    action: AuditAction,
    actor: Actor,
    target: str,
    subject_user_id: int | None,
    details: dict[str, Any],
) -> AuditEvent:
    """Add the next event of the chain to ``session``'s transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _LOCK_ID})
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    event = AuditEvent(
        id=last.id + 1 if last else 1,
        at=utcnow(),
        action=action,
        actor_user_id=actor.user_id,
        actor_email=recordable(actor.email, EMAIL_LENGTH),
        ip=recordable(actor.ip, IP_LENGTH),
        user_agent=recordable(actor.user_agent, USER_AGENT_LENGTH),
        target=recordable(target),
        subject_user_id=subject_user_id,
        # Redacted as text: a key's characters are never JSON's quotes, commas or braces.
        details=recordable(canonical_details(details)),
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = event_hash(event, event.prev_hash)
    session.add(event)
    session.flush()
    return event


class Break(NamedTuple):
    """Where the chain breaks: the id of the first event changed, removed or inserted."""

    id: int
    what: str


def verify(events: Iterator[AuditEvent]) -> Break | None:
    """Check ``events`` (all of them, by id); the first break, or None when intact."""
    expected_id, prev_hash = 1, GENESIS
    for event in events:
        if event.id != expected_id:
            if event.id > expected_id:
                return Break(expected_id, f"event {expected_id} was removed")
            return Break(event.id, f"event {event.id} was inserted")
        if event.prev_hash != prev_hash:
            return Break(event.id, f"event {event.id} does not follow the event before it")
        if event_hash(event, prev_hash) != event.hash:
            return Break(event.id, f"event {event.id} was changed")
        expected_id, prev_hash = event.id + 1, event.hash
    return None
