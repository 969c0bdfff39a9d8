"""Key ids the database said it does not have, each remembered for a minute (bounded).

A client stuck on a key from another environment (the checksum right, the key id unknown
here) then costs one database read a minute, not one a request; and a row restored from a
backup works again within that minute, on every worker.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

UNKNOWN_FOR_SECONDS = 60.0
MAX_UNKNOWN_IDS = 10_000  # key ids remembered as unknown; the oldest goes first


class UnknownKeyIds:
    """Key ids the database said it does not have, each remembered for a while (bounded)."""

    def __init__(
        self,
        ttl: float = UNKNOWN_FOR_SECONDS,
        max_entries: int = MAX_UNKNOWN_IDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._until: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key_id: str) -> bool:
        until = self._until.get(key_id)
        if until is None:
            return False
        if self.clock() < until:
            return True
        with self._lock:
            self._until.pop(key_id, None)
        return False

    def add(self, key_id: str) -> None:
        """Remember ``key_id`` as unknown, forgetting the oldest past the bound."""
        with self._lock:
            self._until[key_id] = self.clock() + self.ttl
            self._until.move_to_end(key_id)
            while len(self._until) > self.max_entries:
                self._until.popitem(last=False)

    def discard(self, key_id: str) -> None:
        """Forget ``key_id`` (a key was just made with it, here)."""
        with self._lock:
            self._until.pop(key_id, None)

    def __len__(self) -> int:
        return len(self._until)
