"""The audit event of a key refused from outside its allowed networks.

At most one a minute per key and address, whichever worker refuses it: the once-a-minute
mark is a budget of one in the limiter's storage, shared like every other budget. A
refusal is no reason to fail harder: an event that cannot be written is logged instead.
"""

from __future__ import annotations

import logging

from flask import current_app

from app import audit
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import write_transaction
from app.keys.record import KeyRecord
from app.ratelimit import parse_rate_limit

log = logging.getLogger(__name__)

SCOPE = "address-refused"
ONCE = "1 per minute"


def note_address_refused(record: KeyRecord, address: str, user_agent: str) -> None:
    """Record that ``record``'s key was used from ``address``, unless done this minute."""
    counter = current_app.extensions["limit_counter"]
    try:
        first, _ = counter.hit_and_window(parse_rate_limit(ONCE), SCOPE, record.key_id, address)
        if not first:
            return
        with write_transaction():
            audit.record(
                AuditAction.KEY_ADDRESS_REFUSED,
                Actor.anonymous(address, user_agent),
                target=f"key:{record.key_id}",
                subject_user_id=record.user_id,
                details={"name": record.name, "address": address},
            )
    except Exception:
        log.warning("could not record a key refused from %s", address, exc_info=True)
