"""The budget of failed key checks per client address, checked before bcrypt runs.

It lives in the same storage and strategy as Flask-Limiter's limits (so with Redis every
worker shares it) but is asked directly by the key hook, because the question "may this
address have a bcrypt check?" comes up in the middle of verification, before any view.
When the storage is unreachable it counts in memory for a while (never unlimited), logs
once, and goes back to the storage when it answers again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from limits import RateLimitItem, WindowStats, parse
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES, RateLimiter

log = logging.getLogger(__name__)

RETRY_STORAGE_AFTER_SECONDS = 5.0


class FailedKeyThrottle:
    """Count failed key checks per address; say whether one more bcrypt is allowed."""

    def __init__(
        self,
        limit: str,
        strategy: Callable[[], RateLimiter],
        strategy_name: str,
        key_prefix: str,
    ) -> None:
        self.item: RateLimitItem = parse(limit)
        self._strategy = strategy
        self._fallback = STRATEGIES[strategy_name](MemoryStorage())
        self._prefix = key_prefix
        self._storage_down_until = 0.0

    def _identifiers(self, address: str) -> tuple[str, ...]:
        return (self._prefix, "failed-key", address) if self._prefix else ("failed-key", address)

    def _call(self, method: str, address: str) -> object:
        if time.monotonic() >= self._storage_down_until:
            try:
                result = getattr(self._strategy(), method)(self.item, *self._identifiers(address))
            except Exception:  # any storage client error: the answer must not be a 500
                if self._storage_down_until == 0.0:
                    log.warning("rate limit storage unreachable; counting failed keys in memory")
                self._storage_down_until = time.monotonic() + RETRY_STORAGE_AFTER_SECONDS
            else:
                if self._storage_down_until:
                    log.info("rate limit storage reachable again")
                    self._storage_down_until = 0.0
                return result
        return getattr(self._fallback, method)(self.item, *self._identifiers(address))

    def allows(self, address: str) -> bool:
        """Whether ``address`` may have one more key check (and its bcrypt) now."""
        return bool(self._call("test", address))

    def record_failure(self, address: str) -> bool:
        """Count a failed check; return False when that puts ``address`` over its budget."""
        return bool(self._call("hit", address))

    def window(self, address: str) -> WindowStats:
        """When the address's window resets and how many failed checks it has left."""
        stats = self._call("get_window_stats", address)
        assert isinstance(stats, WindowStats)
        return stats

    def headers(self, address: str) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers (and ``Retry-After`` once spent) for ``address``."""
        reset_at, remaining = self.window(address)
        headers = {
            "X-RateLimit-Limit": str(self.item.amount),
            "X-RateLimit-Remaining": str(max(remaining, 0)),
            "X-RateLimit-Reset": str(math.ceil(reset_at)),
        }
        if remaining <= 0:
            headers["Retry-After"] = str(max(1, math.ceil(reset_at - time.time())))
        return headers
