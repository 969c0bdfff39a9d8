"""``MovingWindows``: the moving window of ``memory://``, counted in this process.

limits' ``MemoryStorage`` and its moving-window strategy count the same way, through more
layers: an entry object per request, a key string built twice per request, and a new
``Timer`` thread every 10 ms to expire entries. Here each limit of each caller is a deque
of the times it was granted, oldest first; a request drops the times that left the window,
and is granted if fewer than the limit remain. Idle callers are swept out in line, at most
once a ``SWEEP_SECONDS``, so memory stays bounded without a thread.

The answers are limits' own: ``hit`` grants at most ``amount`` requests in any
``expiry`` seconds, and the window's reset is its oldest time plus ``expiry``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from limits import RateLimitItem, WindowStats

SWEEP_SECONDS = 10.0

Key = tuple[int, int, tuple[str, ...]]


class MovingWindows:
    """Moving windows in process memory, one per (limit, identifiers)."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock or _wall_clock
        self._windows: dict[Key, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = self.clock() + SWEEP_SECONDS

    def hit_and_window(
        self, item: RateLimitItem, identifiers: tuple[str, ...]
    ) -> tuple[bool, WindowStats]:
        """Count one request if the window has room; whether it did, and the window after."""
        expiry = item.get_expiry()
        with self._lock:
            now = self.clock()
            times = self._current((expiry, item.amount, identifiers), now - expiry, create=True)
            allowed = len(times) < item.amount
            if allowed:
                times.append(now)
            if now >= self._next_sweep:
                self._sweep(now)
            return allowed, _stats(item, times, now, expiry)

    def test(self, item: RateLimitItem, identifiers: tuple[str, ...]) -> bool:
        """Whether one more request would be granted, without counting it."""
        expiry = item.get_expiry()
        with self._lock:
            now = self.clock()
            times = self._current((expiry, item.amount, identifiers), now - expiry)
            return times is None or len(times) < item.amount

    def window(self, item: RateLimitItem, identifiers: tuple[str, ...]) -> WindowStats:
        """When the window resets and how many requests it has left."""
        expiry = item.get_expiry()
        with self._lock:
            now = self.clock()
            times = self._current((expiry, item.amount, identifiers), now - expiry)
            return _stats(item, times, now, expiry)

    def __len__(self) -> int:
        """How many windows are held (idle ones go at the next sweep)."""
        return len(self._windows)

    def _current(self, key: Key, start: float, create: bool = False) -> deque[float] | None:
        times = self._windows.get(key)
        if times is None:
            if create:
                times = self._windows[key] = deque()
            return times
        while times and times[0] < start:
            times.popleft()
        return times

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_SECONDS
        windows = self._windows
        idle = [key for key, times in windows.items() if not times or times[-1] < now - key[0]]
        for key in idle:
            del windows[key]


def _wall_clock() -> float:
    return time.time()  # looked up on each call, as limits does, so tests can move it


def _stats(item: RateLimitItem, times: deque[float] | None, now: float, expiry: int) -> WindowStats:
    if not times:
        return WindowStats(now + expiry, item.amount)
    return WindowStats(times[0] + expiry, item.amount - len(times))
