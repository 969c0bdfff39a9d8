"""The key and owner records ``RedisGate`` caches in Redis, and how a change replaces them.

Records are hashes of ``KeyRecord``'s fields as text, under ``<prefix>:gate:``; only admit.lua
writes them. Before a change commits, ``tombstone_*`` replaces the record and the
generation, or refuses the change; after it, ``drop_*`` lets the new state be cached.
docs/architecture.md, "Why a revoked key is never admitted", says why that is enough.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable

from redis import Redis
from redis.exceptions import RedisError

from app.keys.signals import ChangeNotPassedOn

log = logging.getLogger(__name__)

RECORD_SECONDS = 60
# Longer than a commit takes, and than a request lives (gunicorn's timeout, 30 s by default)
# should the drop after the commit fail.
TOMBSTONE_SECONDS = 90
CHANGE_WAIT_SECONDS = 2.0  # how long a change waits for Redis before it is refused
RETRY_PAUSE_SECONDS = 0.05


class RecordCache:
    """Names of the cached records, and the two ways a change replaces them."""

    def __init__(self, client: Callable[[], Redis], prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}:gate:"
        self.generation = f"{self.prefix}generation"

    def key_name(self, key_id: str) -> str:
        """The Redis key of a key's record."""
        return f"{self.prefix}key:{key_id}"

    def user_name(self, user_id: int | str) -> str:
        """The Redis key of a user's record."""
        return f"{self.prefix}user:{user_id}"

    def touch_name(self, key_id: str) -> str:
        """The Redis key that says a key's use was recorded this minute."""
        return f"{self.prefix}touched:{key_id}"

    def tombstone_key(self, key_id: str) -> None:
        """Before a key's change commits: a tombstone for its record, or the change is refused."""
        self._tombstone(self.key_name(key_id))

    def tombstone_user(self, user_id: int) -> None:
        """Before a user's change commits: a tombstone for their record, or it is refused."""
        self._tombstone(self.user_name(user_id))

    def drop_key(self, key_id: str) -> None:
        """After a key's change committed (or its verifier was written): cache it afresh."""
        self._drop(self.key_name(key_id))

    def drop_user(self, user_id: int) -> None:
        """After a user's change committed: cache their record afresh."""
        self._drop(self.user_name(user_id))

    def _tombstone(self, name: str) -> None:
        deadline = time.monotonic() + CHANGE_WAIT_SECONDS
        while True:
            try:
                pipeline = self.client().pipeline(transaction=True)
                pipeline.delete(name)
                pipeline.hset(name, "stale", "1")
                pipeline.expire(name, TOMBSTONE_SECONDS)
                pipeline.set(self.generation, secrets.token_hex(8))
                pipeline.execute()
                return
            except RedisError as error:
                if time.monotonic() >= deadline:
                    log.error("Redis did not take the tombstone of %s: %s", name, error)
                    raise ChangeNotPassedOn(
                        "Redis did not answer, so the API could not be told of the change; "
                        "nothing was changed. Try again."
                    ) from error
            time.sleep(RETRY_PAUSE_SECONDS)

    def _drop(self, name: str) -> None:
        try:
            pipeline = self.client().pipeline(transaction=True)
            pipeline.delete(name)
            pipeline.set(self.generation, secrets.token_hex(8))
            pipeline.execute()
        except RedisError as error:
            # The tombstone written before the commit stands for TOMBSTONE_SECONDS anyway.
            log.warning("could not refresh %s in Redis after a change: %s", name, error)
