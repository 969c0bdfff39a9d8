"""What a key's page says of its use: when it was last refused, and from where if known.

A refused request (a revoked, disabled or expired key, a wrong address, a budget spent) is
counted per UTC day in the usage (app/usage), with no time or address; only a refusal for
an address outside the key's allowed networks leaves an audit event, which has both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from app.audit.actions import AuditAction
from app.audit.queries import events_page


@dataclass(frozen=True)
class LastRefused:
    """The newest day with refusals, how many, and the newest refused address, if kept."""

    day: date
    count: int
    address: str | None = None
    address_at: datetime | None = None


def last_refused(key_id: str, days: list[dict[str, object]]) -> LastRefused | None:
    """The key's last refusal within ``days`` (its usage, oldest first), or None."""
    refused = [day for day in days if day["refused"]]
    if not refused:
        return None
    newest = refused[-1]
    found = LastRefused(date.fromisoformat(cast(str, newest["date"])), cast(int, newest["refused"]))
    events = events_page(limit=1, action=AuditAction.KEY_ADDRESS_REFUSED, target=f"key:{key_id}")
    if not events.rows or events.rows[0].at.date() < found.day:
        return found  # none, or from before that day: not where the last refusals came from
    event = events.rows[0]
    address = json.loads(event.details).get("address") or event.ip or None
    return LastRefused(found.day, found.count, address, event.at)
