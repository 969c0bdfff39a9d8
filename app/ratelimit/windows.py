"""``MovingWindows``: the moving window of ``memory://``, counted in this process.

limits' ``MemoryStorage`` and its moving-window strategy count the same way, through more
layers: an entry object per request, a key string built twice per request, and a new
``Timer`` thread every 10 ms to expire entries. Here each limit of each caller is a deque
of the times it was granted, oldest first; a request drops the times that left the window,
and is granted if fewer than the limit remain. Idle callers are swept out in line, at most
once a ``SWEEP_SECONDS``, so memory stays bounded without a thread; and past
``MAX_WINDOWS`` windows of one length, the one that granted least recently goes, so a flood
of distinct callers inside one window cannot grow it either.

The answers are limits' own: ``hit`` grants at most ``amount`` requests in any
``expiry`` seconds, and the window's reset is its oldest time plus ``expiry``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from limits import RateLimitItem, WindowStats

SWEEP_SECONDS = 10.0
# Bound: 5,000 windows per window length (about 1 KB each plus 24 bytes a granted request).
# Past it the least recently granted window is forgotten: that caller starts a fresh window.
MAX_WINDOWS = 5_000

Key = tuple[int, tuple[str, ...]]  # (amount, identifiers), within one window length


class MovingWindows:
    """Moving windows in process memory, one per (window length, amount, identifiers).

    It answers limits' moving-window strategy's ``test`` and ``get_window_stats`` with
    their signatures, and both halves of a hit at once, ``hit_and_window``.

    Windows of one length are kept in the order they last granted a request, so a sweep
    stops at the first one still in use: it costs what it removes, not what is held.
    """

    def __init__(
        self, clock: Callable[[], float] | None = None, max_windows: int = MAX_WINDOWS
    ) -> None:
        self.clock = clock or _wall_clock
        self.max_windows = max_windows
        self._lengths: dict[int, OrderedDict[Key, deque[float]]] = {}
        self._lock = threading.Lock()
        self._next_sweep = self.clock() + SWEEP_SECONDS

    def hit_and_window(self, item: RateLimitItem, *identifiers: str) -> tuple[bool, WindowStats]:
        """Count one request if the window has room; whether it did, and the window after."""
        expiry = item.get_expiry()
        key = (item.amount, identifiers)
        with self._lock:
            now = self.clock()
            windows = self._lengths.get(expiry)
            if windows is None:
                windows = self._lengths[expiry] = OrderedDict()
            times = _current(windows.get(key), now - expiry)
            if times is None:
                if len(windows) >= self.max_windows:
                    windows.popitem(last=False)  # the least recently granted
                times = windows[key] = deque()
            allowed = len(times) < item.amount
            if allowed:
                times.append(now)
                windows.move_to_end(key)
            if now >= self._next_sweep:
                self._sweep(now)
            return allowed, _stats(item, times, now, expiry)

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Whether one more request would be granted, without counting it."""
        expiry = item.get_expiry()
        with self._lock:
            start = self.clock() - expiry
            times = _current(self._window(expiry, item.amount, identifiers), start)
            return times is None or len(times) < item.amount

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        """When the window resets and how many requests it has left."""
        expiry = item.get_expiry()
        with self._lock:
            now = self.clock()
            times = _current(self._window(expiry, item.amount, identifiers), now - expiry)
            return _stats(item, times, now, expiry)

    def identifiers(self) -> list[tuple[str, ...]]:
        """What the windows held are named by (never a key: ids, hashes and addresses)."""
        with self._lock:
            return [key[1] for windows in self._lengths.values() for key in windows]

    def __len__(self) -> int:
        """How many windows are held (idle ones go at the next sweep)."""
        with self._lock:
            return sum(len(windows) for windows in self._lengths.values())

    def _window(
        self, expiry: int, amount: int, identifiers: tuple[str, ...]
    ) -> deque[float] | None:
        windows = self._lengths.get(expiry)
        return None if windows is None else windows.get((amount, identifiers))

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + SWEEP_SECONDS
        for expiry, windows in self._lengths.items():
            edge = now - expiry
            while windows:
                times = windows[next(iter(windows))]
                if times and times[-1] >= edge:
                    break  # it and every window after it granted a request in its window
                windows.popitem(last=False)


def _current(times: deque[float] | None, start: float) -> deque[float] | None:
    """``times`` without the ones before ``start`` (the window's beginning)."""
    if times is not None:
        while times and times[0] < start:
            times.popleft()
    return times


def _wall_clock() -> float:
    return time.time()  # looked up on each call, as limits does, so tests can move it


def _stats(item: RateLimitItem, times: deque[float] | None, now: float, expiry: int) -> WindowStats:
    if not times:
        return WindowStats(now + expiry, item.amount)
    return WindowStats(times[0] + expiry, item.amount - len(times))
