"""Keys' and users' records cached in Redis for ``RedisGate``, and the tombstones of changes.

A key's record (``<prefix>:key:<key id>``) and its owner's (``<prefix>:user:<user id>``)
are Redis hashes holding what admitting a request needs, never a secret: the key's
verifier is an HMAC under a secret Redis never sees. They are written by the gate from the
database row (only where no record or tombstone exists) and live ``RECORD_SECONDS``.

Every change that must reach the API (a revocation, a new verifier, a role change, a
deactivation) replaces the record with a tombstone once its transaction has committed.
While a tombstone stands, each request reads the database and nothing is cached, so no
request that began before the change can put the old record back. The tombstone outlives
any request (gunicorn's worker timeout), then the next request caches the new state.

If the process making a change cannot reach Redis, the change still commits (logged as
an error) and the old record lives at most ``RECORD_SECONDS`` more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.keys.lookup import KeyRecord

log = logging.getLogger(__name__)

RECORD_SECONDS = 60
TOMBSTONE_SECONDS = 60


class RecordCache:
    """Names, payloads and tombstones of the cached records."""

    def __init__(self, client: Callable[[], object], prefix: str) -> None:
        self._client = client
        self.prefix = prefix
        self.user_prefix = f"{prefix}:user:"

    def key_name(self, key_id: str) -> str:
        """The Redis key of a key's record."""
        return f"{self.prefix}:key:{key_id}"

    def touch_name(self, key_id: str) -> str:
        """The Redis key that says a key's use was recorded this minute."""
        return f"{self.prefix}:touched:{key_id}"

    def forget_key(self, key_id: str) -> bool:
        """Put a tombstone in place of a key's record; whether Redis took it."""
        return self._tombstone(self.key_name(key_id))

    def forget_user(self, user_id: int) -> bool:
        """Put a tombstone in place of a user's record; whether Redis took it."""
        return self._tombstone(f"{self.user_prefix}{user_id}")

    def _tombstone(self, name: str) -> bool:
        try:
            pipeline = self._client().pipeline(transaction=True)
            pipeline.delete(name)
            pipeline.hset(name, "stale", "1")
            pipeline.expire(name, TOMBSTONE_SECONDS)
            pipeline.execute()
        except Exception:  # any client error: the change stands, the record ages out
            log.error(
                "could not mark %s changed in Redis; its cached record may serve for up to "
                "%d seconds",
                name,
                RECORD_SECONDS,
                exc_info=True,
            )
            return False
        return True


def given(record: KeyRecord) -> list[str]:
    """The key's and its owner's record as the script takes them (admit.lua's fields)."""
    return [
        str(record.id),
        str(record.user_id),
        record.name,
        record.verifier or "",
        "1" if record.revoked else "0",
        "" if record.expires_at is None else repr(record.expires_at.timestamp()),
        record.access,
        record.email,
        record.role,
        "1" if record.user_active else "0",
    ]
