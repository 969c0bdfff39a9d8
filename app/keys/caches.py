"""The verifier's two bounded, per-process memories: keys verified, and key ids unknown."""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import weakref
from collections import OrderedDict

DEFAULT_CACHE_SIZE = 10_000

# Every memory made in this process, so a forked child (a gunicorn worker under
# preload_app) can forget what its parent knew and pick its own HMAC secret.
_forgotten_at_fork: weakref.WeakSet[VerifiedKeyCache | UnknownKeyIds] = weakref.WeakSet()


def _reset_after_fork() -> None:
    for memory in list(_forgotten_at_fork):
        memory.reset()


os.register_at_fork(after_in_child=_reset_after_fork)


class VerifiedEntry:
    """What the cache keeps of a verified key.

    The hash it matched, its owner's id and role as last read (so the owner's budget can be
    charged while the row is read again; see ``KeyVerifier.remembered_owner``), and when its
    use was last recorded.
    """

    __slots__ = ("key_hash", "role", "touched_at", "user_id")

    def __init__(self, key_hash: str, user_id: int, role: str, touched_at: float) -> None:
        self.key_hash = key_hash
        self.user_id = user_id
        self.role = role
        self.touched_at = touched_at


class VerifiedKeyCache:
    """A bounded LRU of keys this process has verified, keyed by an HMAC of the key."""

    def __init__(self, max_entries: int = DEFAULT_CACHE_SIZE) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, VerifiedEntry] = OrderedDict()
        self._lock = threading.Lock()
        self.reset()
        _forgotten_at_fork.add(self)

    def reset(self) -> None:
        """Forget everything and pick a new secret (also done in every forked worker)."""
        with self._lock:
            self._secret = secrets.token_bytes(32)
            self._entries.clear()

    def digest(self, key: str) -> bytes:
        """The cache key for ``key``: HMAC-SHA256 under this process's secret."""
        return hmac.digest(self._secret, key.encode("ascii"), "sha256")

    def get(self, digest: bytes) -> VerifiedEntry | None:
        """The entry for ``digest``, marked as recently used, or None."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries.move_to_end(digest)
            return entry

    def put(
        self, digest: bytes, key_hash: str, user_id: int, role: str, touched_at: float
    ) -> VerifiedEntry:
        """Remember that the key behind ``digest`` matched ``key_hash``, and whose it is."""
        entry = VerifiedEntry(key_hash, user_id, role, touched_at)
        with self._lock:
            self._entries[digest] = entry
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def peek(self, digest: bytes) -> VerifiedEntry | None:
        """The entry for ``digest``, or None, leaving the LRU order alone (no lock needed)."""
        return self._entries.get(digest)

    def forget(self, digest: bytes) -> None:
        """Drop the entry for ``digest``, if any (its key was revoked or its owner disabled)."""
        if digest in self._entries:  # nearly always not: no lock for the common case
            with self._lock:
                self._entries.pop(digest, None)

    def __len__(self) -> int:
        return len(self._entries)


class UnknownKeyIds:
    """A bounded LRU set of key ids the database said it does not have."""

    def __init__(self, max_entries: int = DEFAULT_CACHE_SIZE) -> None:
        self.max_entries = max_entries
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        _forgotten_at_fork.add(self)

    def __contains__(self, key_id: str) -> bool:
        return key_id in self._ids

    def add(self, key_id: str) -> None:
        """Remember that ``key_id`` is unknown, forgetting the oldest past the bound."""
        with self._lock:
            self._ids[key_id] = None
            self._ids.move_to_end(key_id)
            while len(self._ids) > self.max_entries:
                self._ids.popitem(last=False)

    def reset(self) -> None:
        """Forget everything."""
        with self._lock:
            self._ids.clear()

    def __len__(self) -> int:
        return len(self._ids)
