"""Verify a presented key: cheap checks first, bcrypt at most once per key per process.

The order is the point:

1. shape and checksum: a typo or an invented key never reaches the database or bcrypt
   (a key this process has verified before passed them then, as this very text, so it
   skips them);
2. one indexed read of the key id, with the owner's role and active flag and the key's
   revoked state, on every request, so revocation is effective on the very next request;
3. ``bcrypt.checkpw`` only when this process has not yet verified this exact key against
   this exact hash. A success is remembered in a bounded in-process cache keyed by an HMAC
   of the key under a per-process random secret, so the cache never holds a key and a
   memory dump of it is useless elsewhere.

A key id the database did not know is remembered too (bounded), so a client stuck on a key
from another environment (checksum right, id unknown here) costs one read, not one a
request. Key ids are random and made by the server, so none can become known later.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

from app.hashing import check_secret
from app.keys.caches import UnknownKeyIds, VerifiedEntry, VerifiedKeyCache
from app.keys.format import KEY_LENGTH, key_id_of, parse_key
from app.keys.lookup import KeyLookup, StoreUnavailable
from app.models.columns import utcnow

log = logging.getLogger(__name__)

TOUCH_INTERVAL = timedelta(minutes=1)


class AuthenticatedKey(NamedTuple):
    """Who a verified key speaks for; what the API views see as ``g.api_key``.

    Immutable, and a tuple rather than a frozen dataclass because one is made per request.
    """

    key_id: str
    name: str
    user_id: int
    email: str
    role: str


class KeyRejected(Exception):
    """The presented key does not authenticate.

    ``reason`` (malformed, unknown, revoked, inactive_user, wrong_secret) is for logs and
    tests; every client gets the same "API key not found".
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeyCheckRefused(Exception):
    """A bcrypt check was needed but the caller's budget for failed checks is spent."""


class KeyVerifier:
    """Turn a presented key into an ``AuthenticatedKey`` or a refusal."""

    def __init__(
        self,
        lookup: KeyLookup,
        cache: VerifiedKeyCache | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lookup = lookup
        self.cache = cache if cache is not None else VerifiedKeyCache()
        self.unknown = UnknownKeyIds()
        self.clock = clock

    def verify(self, presented: str, may_check_hash: Callable[[], bool]) -> AuthenticatedKey:
        """Verify ``presented``; ``may_check_hash`` is asked before any bcrypt call.

        Raises ``KeyRejected`` for a key that does not authenticate and ``KeyCheckRefused``
        when bcrypt would be needed but ``may_check_hash()`` says no.
        """
        if not _may_be_key(presented):
            raise KeyRejected("malformed")
        digest = self.cache.digest(presented)
        entry = self.cache.get(digest)
        # A key verified before passed its shape and checksum checks then, as this exact
        # text (the digest says so), so only a key new to this process is parsed.
        if entry is None and parse_key(presented) is None:
            raise KeyRejected("malformed")
        key_id = key_id_of(presented)
        if key_id in self.unknown:
            self.cache.forget(digest)  # its row deleted, and another key told us first
            raise KeyRejected("unknown")
        record = self.lookup.find(key_id)
        if record is None or record.revoked or not record.user_active:
            # Nothing is started ahead of this key's read any more (``remembered_owner``).
            self.cache.forget(digest)
            if record is None:  # never made here, or its row deleted by hand
                self.unknown.add(key_id)
                raise KeyRejected("unknown")
            raise KeyRejected("revoked" if record.revoked else "inactive_user")

        now = self.clock()
        if entry is None or not hmac.compare_digest(entry.key_hash, record.key_hash):
            if not may_check_hash():
                raise KeyCheckRefused
            if not check_secret(presented.encode("ascii"), record.key_hash):
                raise KeyRejected("wrong_secret")
            entry = self.cache.put(
                digest, record.key_hash, record.user_id, record.role, touched_at=now
            )
            self._touch(record.id, entry, now)
        else:
            entry.role = record.role  # a role change is remembered from this request on
            if now - entry.touched_at >= TOUCH_INTERVAL.total_seconds():
                self._touch(record.id, entry, now)

        return AuthenticatedKey(
            key_id=record.key_id,
            name=record.name,
            user_id=record.user_id,
            email=record.email,
            role=record.role,
        )

    def remembered_owner(self, presented: str) -> tuple[int, str] | None:
        """The (user id, role) this process last verified behind exactly ``presented``, or None.

        From memory alone (no read, no bcrypt), so it decides nothing: it lets work for the
        owner start while ``verify`` reads the key's row, work to be kept only if ``verify``
        then names the same owner and role. A key found revoked or gone, or whose owner was
        found disabled, is forgotten.
        """
        if not _may_be_key(presented):
            return None
        entry = self.cache.peek(self.cache.digest(presented))
        return None if entry is None else (entry.user_id, entry.role)

    def _touch(self, key_pk: int, entry: VerifiedEntry, now: float) -> None:
        # At most one write a minute per key and process, so a busy key does not turn
        # every read into a write; "Last used" is accurate to a minute.
        entry.touched_at = now
        try:
            self.lookup.touch(key_pk, utcnow(), TOUCH_INTERVAL)
        except StoreUnavailable:
            # Bookkeeping, not a decision: the key was verified against a fresh read, so
            # the request goes on and the next minute tries again.
            log.warning("could not record the use of a key", exc_info=True)


def _may_be_key(presented: str) -> bool:
    """Whether ``presented`` has a key's length and is ASCII (so it is safe to digest)."""
    return len(presented) == KEY_LENGTH and presented.isascii()
