"""``memory://`` rate-limit storage that expires old entries without starting threads.

limits' ``MemoryStorage`` drops expired entries from a ``threading.Timer`` that runs 10 ms
after a hit, starting a new one whenever none is alive. Under load that is a new OS thread
every few requests (about a hundred a second), each started, switched to and torn down by
the one worker serving requests; ``make bench`` measured it as the largest cost of a
valid-key request on SQLite after the key read itself. ``SweptMemoryStorage`` keeps
limits' storage as it is (its data, locks, and moving-window and counter code) and only
moves the expiry: the request that finds the last sweep more than ``SWEEP_INTERVAL``
seconds old runs it in line.

Expiry only bounds memory: limits reads every window by timestamp, so an entry past its
window never counts, swept or not. The bound is one window plus ``SWEEP_INTERVAL`` of
entries per key.

``hit_and_window`` is limits' moving-window hit followed by its window read, made in one
pass under the key's lock: the key hook asks for both on every API request.

Declaring the ``memory`` scheme registers this class for ``memory://`` URIs in limits'
storage registry (its documented way to add storages), so Flask-Limiter builds this one
from ``RATELIMIT_STORAGE_URI = "memory://"``.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from time import monotonic
from typing import Any, ClassVar

from limits.storage import MemoryStorage
from limits.storage.memory import Entry

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 1.0  # seconds


class SweptMemoryStorage(MemoryStorage):
    """limits' ``MemoryStorage``, expired in line at most once per ``SWEEP_INTERVAL``."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = 0.0
        self._sweeping = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:
        """Expire old entries now if the last sweep is old enough (instead of a new Timer).

        ``MemoryStorage`` calls this before every hit; it is name-mangled private there, so
        tests/test_ratelimit_memory.py checks that the override still takes effect.
        """
        now = monotonic()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_INTERVAL
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        except Exception:
            # limits' sweep reads its dicts without every lock (it ran in its own thread,
            # where a race only ended that thread). It only frees memory: the request goes
            # on, and the next sweep is a second away.
            log.debug("memory rate-limit sweep skipped", exc_info=True)
        finally:
            self._sweeping.release()

    def hit_and_window(self, key: str, limit: int, expiry: int) -> tuple[bool, float, int]:
        """``acquire_entry(key, limit, expiry)``, then ``get_moving_window(key, limit, expiry)``.

        Returns whether the entry was acquired, then the window's start and how many entries
        it holds, as those two calls would (tests/test_ratelimit_memory.py compares them hit
        for hit on a stopped clock), but in one pass: one lock, and one reading of the
        clock for both the check and the count where limits reads it for each. limits'
        window read takes no lock; here it is made under the hit's.
        """
        if limit < 1:  # as acquire_entry: nothing can be acquired
            return False, *self.get_moving_window(key, limit, expiry)
        self._MemoryStorage__schedule_expiry()
        with self.locks[key]:
            events = self.events.setdefault(key, [])
            now = time.time()
            acquired = len(events) < limit or events[limit - 1].atime < now - expiry
            if acquired:
                events.insert(0, Entry(expiry))  # newest first, as limits keeps them
            if not events:
                return acquired, now, 0
            count = bisect.bisect_left(events, -(now - expiry), key=_negative_atime)
            return acquired, events[count - 1].atime, count

    def __getstate__(self) -> dict[str, Any]:
        """Pickle as limits does (it supports it), without the lock."""
        state = super().__getstate__()
        del state["_sweeping"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle with a sweep lock of its own."""
        super().__setstate__(state)
        self._sweeping = threading.Lock()


def _negative_atime(entry: Entry) -> float:
    return -entry.atime
