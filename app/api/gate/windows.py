"""Budgets counted in Redis by our own moving window (window.lua), under our own names.

A budget of ``scope`` and ``identifier`` for a limit of ``amount`` per ``expiry`` seconds is
the sorted set ``<prefix>:budget:<scope>:<identifier>:<amount>/<expiry>``: a new size
starts a fresh window. admit.lua charges the API's budgets with the same ``charge()`` and
the same names, so both count one window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from limits import RateLimitItem, WindowStats
from redis import Redis
from redis.commands.core import Script

_HERE = Path(__file__).parent
WINDOW_LUA = (_HERE / "window.lua").read_text()
CHARGE_LUA = WINDOW_LUA + (_HERE / "charge.lua").read_text()


class RedisWindows:
    """Charge budgets in Redis, one script call each."""

    def __init__(self, client: Callable[[], Redis], prefix: str) -> None:
        self._client = client
        self.prefix = f"{prefix}:budget:"
        self.sequence = f"{self.prefix}sequence"
        self._script: Script | None = None

    def name_around(self, scope: str, item: RateLimitItem) -> tuple[str, str]:
        """The budget's name before and after its identifier."""
        return f"{self.prefix}{scope}:", f":{item.amount}/{item.get_expiry()}"

    def charge(
        self, item: RateLimitItem, scope: str, identifier: str, now: float | None = None
    ) -> tuple[bool, WindowStats]:
        """Count one request if the window has room; whether it did, and the window after.

        Raises redis-py's errors: the caller decides what a budget is without Redis.
        """
        if self._script is None:
            self._script = self._client().register_script(CHARGE_LUA)
        head, tail = self.name_around(scope, item)
        now = time.time() if now is None else now
        expiry = item.get_expiry()
        granted, count, oldest = self._script(
            keys=[head + identifier + tail, self.sequence], args=[repr(now), item.amount, expiry]
        )
        return bool(granted), stats(item, now, int(count), oldest)


def stats(item: RateLimitItem, now: float, count: int, oldest: bytes | str) -> WindowStats:
    """The window's reset (its oldest grant plus the expiry) and what it has left."""
    expiry = item.get_expiry()
    reset = float(oldest) + expiry if oldest else now + expiry
    return WindowStats(reset, item.amount - count)
