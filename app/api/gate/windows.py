"""Budgets counted in Redis by our own moving window (window.lua), under our own names.

A budget of ``scope`` and ``identifier`` for a limit of ``amount`` per ``expiry`` seconds is
the sorted set ``<prefix>:budget:<scope>:<identifier>:<amount>/<expiry>``: a new size
starts a fresh window. admit.lua charges the API's budgets with the same ``charge()`` and
the same names, so both count one window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
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
        allowed, (window,) = self.charge_all([(item, scope, identifier)], now)
        return allowed, window

    def charge_all(
        self, budgets: Sequence[tuple[RateLimitItem, str, str]], now: float | None = None
    ) -> tuple[bool, list[WindowStats]]:
        """Count one request in every budget (limit, scope, identifier) if each has room.

        Whether it did, and each window after. Raises redis-py's errors.
        """
        if self._script is None:
            self._script = self._client().register_script(CHARGE_LUA)
        now = time.time() if now is None else now
        names: list[str] = []
        args: list[str | int] = [repr(now)]
        for item, scope, identifier in budgets:
            head, tail = self.name_around(scope, item)
            names.append(head + identifier + tail)
            args += [item.amount, item.get_expiry()]
        granted, *windows = self._script(keys=[*names, self.sequence], args=args)
        return bool(granted), [
            stats(item, now, int(windows[2 * i]), windows[2 * i + 1])
            for i, (item, _, _) in enumerate(budgets)
        ]


def stats(item: RateLimitItem, now: float, count: int, oldest: bytes | str) -> WindowStats:
    """The window's reset (its oldest grant plus the expiry) and what it has left."""
    expiry = item.get_expiry()
    reset = float(oldest) + expiry if oldest else now + expiry
    return WindowStats(reset, item.amount - count)
