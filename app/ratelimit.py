"""Rate limits: whom they count, how big each budget is, and a counter that outlives outages.

Flask-Limiter owns the storage (``RATELIMIT_STORAGE_URI``) and the strategy (a moving
window). The sign-in pages use its route decorators; the API's two budgets (per user by
role, and failed key checks per address) are counted by the key hook through
``LimitCounter``, with the same storage and strategy, because the hook is where the user
is known and where a bcrypt check has to be allowed or refused. Nothing here ever puts a
key into a storage key: only user ids and client addresses.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable

from flask import current_app, request
from limits import RateLimitItem, WindowStats, parse
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import STRATEGIES, MovingWindowRateLimiter, RateLimiter

log = logging.getLogger(__name__)

RETRY_STORAGE_AFTER_SECONDS = 5.0


def client_address() -> str:
    """The client's address: the socket peer, or what trusted proxies say (app/http.py)."""
    return request.remote_addr or "unknown"


def rate_limit_for(role: str) -> str:
    """The limit string (``"100 per minute"``) that ``ROLE_RATE_LIMITS`` gives ``role``."""
    return current_app.config["ROLE_RATE_LIMITS"][role]


@functools.lru_cache(maxsize=64)
def parse_limit(text: str) -> RateLimitItem:
    """``"100 per minute"`` as a limit item, parsed once (the budgets are read per request)."""
    return parse(text)


class LimitCounter:
    """Hit, test and read limits in Flask-Limiter's storage with its strategy.

    When the storage does not answer, it counts in this process's memory instead (never
    unlimited), logs a warning once, and tries the storage again every few seconds.
    """

    def __init__(
        self, strategy: Callable[[], RateLimiter], strategy_name: str, key_prefix: str
    ) -> None:
        self._strategy = strategy
        self._fallback = STRATEGIES[strategy_name](MemoryStorage())
        self._prefix = (key_prefix,) if key_prefix else ()
        self._storage_down_until = 0.0

    def _call(self, method: str, item: RateLimitItem, identifiers: tuple[str, ...]):
        identifiers = self._prefix + identifiers
        if self._storage_down_until == 0.0 or time.monotonic() >= self._storage_down_until:
            try:
                result = _run(self._strategy(), method, item, identifiers)
            except Exception:  # any storage client error: the answer must not be a 500
                if self._storage_down_until == 0.0:
                    log.warning("rate limit storage unreachable; counting in memory for now")
                self._storage_down_until = time.monotonic() + RETRY_STORAGE_AFTER_SECONDS
            else:
                if self._storage_down_until:
                    log.warning("rate limit storage reachable again")
                    self._storage_down_until = 0.0
                return result
        return _run(self._fallback, method, item, identifiers)

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Whether one more request would be within the limit, without counting it."""
        return bool(self._call("test", item, identifiers))

    def window(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        """When the window resets and how many requests it has left."""
        return self._call("get_window_stats", item, identifiers)

    def hit_and_window(self, item: RateLimitItem, *identifiers: str) -> tuple[bool, WindowStats]:
        """Count one request and read the window after it (one Redis round trip, not two)."""
        return self._call("hit_and_window", item, identifiers)


def _run(strategy: RateLimiter, method: str, item: RateLimitItem, identifiers: tuple[str, ...]):
    if method != "hit_and_window":
        return getattr(strategy, method)(item, *identifiers)
    pipelined = _redis_moving_window_hit_and_window(strategy, item, identifiers)
    if pipelined is not None:
        return pipelined
    return strategy.hit(item, *identifiers), strategy.get_window_stats(item, *identifiers)


def _redis_moving_window_hit_and_window(
    strategy: RateLimiter, item: RateLimitItem, identifiers: tuple[str, ...]
) -> tuple[bool, WindowStats] | None:
    """The moving window's hit and window read in one Redis pipeline, or None elsewhere.

    The same keys and the same two Lua scripts that ``limits`` runs for ``hit`` and
    ``get_window_stats``, sent together: every API request would otherwise pay two network
    round trips to Redis. tests/test_redis_limits.py checks it against the two calls.
    """
    storage = strategy.storage
    if not (isinstance(strategy, MovingWindowRateLimiter) and isinstance(storage, RedisStorage)):
        return None
    key = storage.prefixed_key(item.key_for(*identifiers))
    expiry = item.get_expiry()
    now = time.time()
    calls = [
        (storage.lua_acquire_moving_window, [now, item.amount, expiry, 1]),
        (storage.lua_moving_window, [now - expiry, item.amount]),
    ]
    # EVALSHA by hand: redis-py would ask SCRIPT EXISTS first (another round trip) when
    # handed the Script objects. A Redis that lost its scripts (a restart, SCRIPT FLUSH)
    # answers NOSCRIPT, and then the Script objects, which load them, run what failed.
    pipeline = storage.get_connection().pipeline(transaction=False)
    for script, args in calls:
        pipeline.evalsha(script.sha, 1, key, *args)
    results = pipeline.execute(raise_on_error=False)
    for index, result in enumerate(results):
        if isinstance(result, Exception):
            if type(result).__name__ != "NoScriptError":
                raise result
            script, args = calls[index]
            results[index] = script([key], args)
    acquired, window = results
    if not window:
        return bool(acquired), WindowStats(now + expiry, item.amount)
    return bool(acquired), WindowStats(float(window[0]) + expiry, item.amount - int(window[1]))


def seconds_until(moment: float) -> int:
    """Whole seconds from now until ``moment`` (a Unix time), at least 1: a Retry-After."""
    return max(1, math.ceil(moment - time.time()))


def rate_limit_headers(item: RateLimitItem, stats: WindowStats, refused: bool) -> dict[str, str]:
    """``X-RateLimit-*`` for an answer, and ``Retry-After`` (seconds) for a refusal."""
    reset_at, remaining = stats
    headers = {
        "X-RateLimit-Limit": str(item.amount),
        "X-RateLimit-Remaining": str(max(remaining, 0)),
        "X-RateLimit-Reset": str(math.ceil(reset_at)),
    }
    if refused:
        headers["Retry-After"] = str(seconds_until(reset_at))
    return headers
