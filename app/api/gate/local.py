"""``LocalGate``: read the key's record from the database, then charge its owner's budget."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.api.budget import ApiBudget
from app.api.gate import Admission
from app.api.throttle import FailedKeyThrottle
from app.keys.record import KeyRecord
from app.keys.verification import KeyVerifier

TOUCH_SECONDS = 60.0
MAX_TOUCHED = 10_000  # keys whose next "last used" write is scheduled, then cleared


class LocalGate:
    """Verify the key from its row, then charge the owner's budget (and the key's own)."""

    def __init__(self, verifier: KeyVerifier, throttle: FailedKeyThrottle, budget: ApiBudget):
        self.verifier = verifier
        self.throttle = throttle
        self.budget = budget
        self.touches = TouchSchedule()

    def admit(self, presented: str, address: str) -> Admission:
        """Admit ``presented`` from ``address``, or raise (see app/api/key_hook.py)."""
        key = self.verifier.verify(
            presented,
            lambda key_id, last: self.throttle.take_check(address, key_id, last),
            address=address,
        )
        return self.charge(key)

    def warm_up(self) -> None:
        """Open this thread's database connection (see app/api/key_hook.py, ``warm_up``)."""
        self.verifier.lookup.connect()

    def charge(self, key: KeyRecord) -> Admission:
        """Charge a verified key's owner, and the key's own limit if it has one."""
        allowed, headers, own = self.budget.charge(
            key.user_id, key.role, key.rate_limit, key.key_pk
        )
        return Admission(key, allowed, headers, allowed and self.touches.due(key.key_pk), own)


class TouchSchedule:
    """When this process last recorded each key's use: at most once a minute per key.

    A busy key must not turn every read into a write; "Last used" is accurate to a minute.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._next: dict[int, float] = {}
        self._lock = threading.Lock()

    def due(self, key_pk: int) -> bool:
        """Whether this request should record the key's use (and if so, not the next ones)."""
        now = self.clock()
        if now < self._next.get(key_pk, 0.0):
            return False
        with self._lock:
            if len(self._next) >= MAX_TOUCHED:
                self._next.clear()  # a bound, not an LRU: at worst one extra write per key
            self._next[key_pk] = now + TOUCH_SECONDS
        return True

    def __len__(self) -> int:
        """How many keys have their next write scheduled."""
        return len(self._next)
