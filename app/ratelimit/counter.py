"""``LimitCounter``: hit, test and read budgets in the shared storage, with a bounded fallback.

While the storage (Redis) does not answer, budgets are counted in this process's memory,
never unlimited, and never multiplied: each process counts against its share of the
budget (the budget divided by the processes serving on this host, ``fallback_divisor``), so
one host never grants more than the budget. A failure opens a circuit for
``RETRY_STORAGE_AFTER_SECONDS``: requests in that time do not wait for the storage at all,
and then one request tries it again (paying at most the client's timeout once). The Redis
gate (app/api/gate/) goes through the same circuit and the same fallback.

With ``memory://`` and the moving window (one process, ``make run``), budgets are counted
in ``MovingWindows`` (``windows.py``), which counts as limits does with less work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar, overload

from limits import RateLimitItem, WindowStats
from limits.storage import MemoryStorage, Storage
from limits.strategies import STRATEGIES, MovingWindowRateLimiter, RateLimiter

from app.ratelimit.windows import MovingWindows

log = logging.getLogger(__name__)

RETRY_STORAGE_AFTER_SECONDS = 5.0

T = TypeVar("T")
# The counting methods MovingWindows and LimitCounter share, by the name they are called by.
Method = Literal["test", "get_window_stats", "hit_and_window"]


class LimitCounter:
    """Count requests against limits in Flask-Limiter's storage, with its strategy."""

    def __init__(
        self,
        storage: Callable[[], Storage],
        strategy_name: str,
        key_prefix: str,
        fallback_divisor: int = 1,
    ) -> None:
        self._storage = storage
        self._strategy_class = STRATEGIES[strategy_name]
        self._strategy: RateLimiter | None = None
        self._fallback = self._strategy_class(MemoryStorage())
        moving = self._strategy_class is MovingWindowRateLimiter
        # The fallback's moving windows too are MovingWindows: bounded in number (windows.py),
        # where limits' MemoryStorage holds every caller of the window until it expires.
        self._fallback_windows: MovingWindows | None = MovingWindows() if moving else None
        self._prefix = (key_prefix,) if key_prefix else ()
        self.fallback_divisor = max(1, int(fallback_divisor))
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.on_state_change: Callable[[bool], None] | None = None
        # memory:// with the moving window: counted in MovingWindows, not limits' storage, which
        # holds every caller until its window expires (app/bounds.py asks for a stated cap).
        # make bench, median of 3 runs, 2026-12-06 (last set): +4.9% GET /api/me req/s over it.
        self.windows: MovingWindows | None = MovingWindows() if moving else None

    @property
    def storage(self) -> Storage:
        """The shared storage (Flask-Limiter's)."""
        return self._storage()

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Whether one more request would be within the limit, without counting it."""
        return bool(self._call("test", item, identifiers))

    def window(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        """When the window resets and how many requests it has left."""
        return self._call("get_window_stats", item, identifiers)

    def hit_and_window(self, item: RateLimitItem, *identifiers: str) -> tuple[bool, WindowStats]:
        """Count one request and read the window after it (for the answer's headers)."""
        return self._call("hit_and_window", item, identifiers)

    def fallback_hit_and_window(
        self, item: RateLimitItem, *identifiers: str
    ) -> tuple[bool, WindowStats]:
        """``hit_and_window`` in this process's share of the budget, whatever the circuit says."""
        return self._in_fallback("hit_and_window", item, self._prefix + identifiers)

    def in_storage(self, call: Callable[[], T]) -> T | None:
        """``call()``'s result through the circuit, or None while the storage does not answer."""
        if not self.storage_up():
            return None
        try:
            result = call()
        except Exception:  # any storage client error: the answer must not be a 500
            log.debug("rate limit storage error", exc_info=True)
            self.storage_failed()
            return None
        self.storage_answered()
        return result

    # --- the circuit, shared with app/api/gate/redis_gate.py ---------------------------

    @property
    def in_fallback(self) -> bool:
        """Whether budgets are counted in this process's memory right now."""
        return self._down_until != 0.0

    def storage_up(self) -> bool:
        """Whether the shared storage may be asked now (closed circuit, or time to retry)."""
        down_until = self._down_until
        return down_until == 0.0 or time.monotonic() >= down_until

    def storage_failed(self) -> None:
        """The storage did not answer: count in memory for the next few seconds."""
        with self._lock:
            opened = self._down_until == 0.0
            self._down_until = time.monotonic() + RETRY_STORAGE_AFTER_SECONDS
        if opened:
            log.warning(
                "rate limit storage unreachable; counting 1/%d of each budget in this "
                "process until it answers",
                self.fallback_divisor,
            )
            self._notify(True)

    def storage_answered(self) -> None:
        """The storage answered: close the circuit if it was open."""
        if self._down_until:
            with self._lock:
                was_open, self._down_until = self._down_until != 0.0, 0.0
            if was_open:
                log.warning("rate limit storage reachable again")
                self._notify(False)

    def _notify(self, in_fallback: bool) -> None:
        if self.on_state_change is not None:
            self.on_state_change(in_fallback)

    # --- internals -------------------------------------------------------------------

    def _shared(self) -> RateLimiter:
        storage = self._storage()
        if self._strategy is None or self._strategy.storage is not storage:
            self._strategy = self._strategy_class(storage)
        return self._strategy

    @overload
    def _call(
        self, method: Literal["test"], item: RateLimitItem, identifiers: tuple[str, ...]
    ) -> bool: ...
    @overload
    def _call(
        self, method: Literal["get_window_stats"], item: RateLimitItem, identifiers: tuple[str, ...]
    ) -> WindowStats: ...
    @overload
    def _call(
        self, method: Literal["hit_and_window"], item: RateLimitItem, identifiers: tuple[str, ...]
    ) -> tuple[bool, WindowStats]: ...
    def _call(self, method: Method, item: RateLimitItem, identifiers: tuple[str, ...]) -> Any:
        prefixed = self._prefix + identifiers
        if self.windows is not None and type(self._storage()) is MemoryStorage:
            return getattr(self.windows, method)(item, *prefixed)
        result = self.in_storage(lambda: _run(self._shared(), method, item, prefixed))
        if result is None:
            return self._in_fallback(method, item, prefixed)
        return result

    def _in_fallback(self, method: Method, item: RateLimitItem, prefixed: tuple[str, ...]) -> Any:
        share = self._share_of(item)
        if self._fallback_windows is not None:
            return getattr(self._fallback_windows, method)(share, *prefixed)
        return _run(self._fallback, method, share, prefixed)

    def _share_of(self, item: RateLimitItem) -> RateLimitItem:
        if self.fallback_divisor == 1:
            return item
        return type(item)(
            max(1, item.amount // self.fallback_divisor), item.multiples, item.namespace
        )


def _run(
    strategy: RateLimiter, method: Method, item: RateLimitItem, identifiers: tuple[str, ...]
) -> Any:
    if method == "hit_and_window":
        return strategy.hit(item, *identifiers), strategy.get_window_stats(item, *identifiers)
    return getattr(strategy, method)(item, *identifiers)
