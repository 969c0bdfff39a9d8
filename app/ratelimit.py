"""Rate limits: whom they count, how big each budget is, and a counter that outlives outages.

Flask-Limiter owns the storage (``RATELIMIT_STORAGE_URI``) and the strategy (a moving
window). The sign-in pages use its route decorators; the API's two budgets (per user by
role, and failed key checks per address) are counted by the key hook through
``LimitCounter``, with the same storage and strategy, because the hook is where the user
is known and where a bcrypt check has to be allowed or refused. Nothing here ever puts a
key into a storage key: only user ids and client addresses. ``memory://`` is limits' memory
storage with its expiry moved in line (app/ratelimit_memory.py).
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

from flask import current_app, request
from limits import RateLimitItem, WindowStats, parse
from limits.storage import MovingWindowSupport, RedisStorage
from limits.strategies import STRATEGIES, MovingWindowRateLimiter, RateLimiter

from app.ratelimit_memory import SweptMemoryStorage

if TYPE_CHECKING:
    from app.ratelimit_redis import SentHit

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
        self._fallback = STRATEGIES[strategy_name](SweptMemoryStorage())
        self._prefix = (key_prefix,) if key_prefix else ()
        self._storage_down_until = 0.0

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Whether one more request would be within the limit, without counting it."""
        return bool(self._call("test", item, identifiers))

    def window(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        """When the window resets and how many requests it has left."""
        return self._call("get_window_stats", item, identifiers)

    def hit_and_window(self, item: RateLimitItem, *identifiers: str) -> tuple[bool, WindowStats]:
        """Count one request and read the window after it (one Redis round trip, not two)."""
        return self._call("hit_and_window", item, identifiers)

    def start_hit_and_window(self, item: RateLimitItem, *identifiers: str) -> PendingHit:
        """``hit_and_window`` in two steps: send the hit now, read its answer on ``finish``.

        Only a moving window in Redis is sent ahead (app/ratelimit_redis.py); with any other
        storage or strategy the whole hit is made by ``finish``, and ``cancel`` makes none.
        """
        sent = None
        if self._storage_up():
            try:
                storage = _joined_script_storage(self._strategy())
                if storage is not None:
                    key = _storage_key(item, self._prefix + identifiers)
                    sent = _ratelimit_redis().send_hit_and_window(storage, item, key)
            except Exception:  # any storage client error: counted in memory instead
                self._storage_failed()
        return PendingHit(self, item, identifiers, sent)

    def sends_ahead(self) -> bool:
        """Whether ``start_hit_and_window`` sends a hit at once (Redis, answering).

        Only then does starting a hit early let it travel while the caller waits for
        something else; in memory it would only be made later, at ``finish``.
        """
        try:
            return self._storage_up() and _joined_script_storage(self._strategy()) is not None
        except Exception:  # a storage that cannot even say what it is: nothing to gain
            return False

    def _finish(
        self, item: RateLimitItem, identifiers: tuple[str, ...], sent: SentHit | None
    ) -> tuple[bool, WindowStats]:
        if sent is None:  # nothing was sent ahead: the whole hit, now
            return self._call("hit_and_window", item, identifiers)
        try:
            result = sent.answer()
        except Exception:  # the storage failed once the hit was sent: count it in memory
            self._storage_failed()
            return _run(self._fallback, "hit_and_window", item, self._prefix + identifiers)
        self._storage_answered()
        return result

    def _withdraw(self, sent: SentHit) -> None:
        try:
            sent.withdraw()
        except Exception:  # it stays counted; what else this request counts goes to memory
            self._storage_failed()

    def _call(self, method: str, item: RateLimitItem, identifiers: tuple[str, ...]):
        prefixed = self._prefix + identifiers
        if self._storage_up():
            try:
                result = _run(self._strategy(), method, item, prefixed)
            except Exception:  # any storage client error: the answer must not be a 500
                self._storage_failed()
            else:
                self._storage_answered()
                return result
        return _run(self._fallback, method, item, prefixed)

    def _storage_up(self) -> bool:
        down_until = self._storage_down_until
        return down_until == 0.0 or time.monotonic() >= down_until

    def _storage_failed(self) -> None:
        if self._storage_down_until == 0.0:
            log.warning("rate limit storage unreachable; counting in memory for now")
        self._storage_down_until = time.monotonic() + RETRY_STORAGE_AFTER_SECONDS

    def _storage_answered(self) -> None:
        if self._storage_down_until:
            log.warning("rate limit storage reachable again")
            self._storage_down_until = 0.0


class PendingHit:
    """A hit started by ``LimitCounter.start_hit_and_window``: ``finish`` or ``cancel`` it.

    Exactly one of the two must be called, and before anything else counts in Redis on this
    thread: until then its connection holds an answer nobody has read.
    """

    __slots__ = ("_counter", "_identifiers", "_item", "_sent")

    def __init__(
        self,
        counter: LimitCounter,
        item: RateLimitItem,
        identifiers: tuple[str, ...],
        sent: SentHit | None,
    ) -> None:
        self._counter = counter
        self._item = item
        self._identifiers = identifiers
        self._sent = sent

    def finish(self) -> tuple[bool, WindowStats]:
        """Whether the hit was within the limit, and the window after it."""
        sent, self._sent = self._sent, None
        return self._counter._finish(self._item, self._identifiers, sent)

    def cancel(self) -> None:
        """Drop the hit: one already sent is taken back out of its window."""
        sent, self._sent = self._sent, None
        if sent is not None:
            self._counter._withdraw(sent)


def _ratelimit_redis() -> ModuleType:
    # Imported only when Redis storage is in use: redis-py would add about 7 MB to a worker
    # that never uses it.
    from app import ratelimit_redis

    return ratelimit_redis


def _run(strategy: RateLimiter, method: str, item: RateLimitItem, identifiers: tuple[str, ...]):
    if method != "hit_and_window":
        return getattr(strategy, method)(item, *identifiers)
    redis_storage = _joined_script_storage(strategy)
    if redis_storage is not None:
        key = _storage_key(item, identifiers)
        return _ratelimit_redis().hit_and_window(redis_storage, item, key)
    if isinstance(strategy, MovingWindowRateLimiter) and not isinstance(
        strategy.storage, RedisStorage
    ):
        key = _storage_key(item, identifiers)
        return _moving_window_hit_and_window(strategy.storage, item, key)
    # Any other strategy, or a Redis cluster: limits' own two calls.
    return strategy.hit(item, *identifiers), strategy.get_window_stats(item, *identifiers)


def _joined_script_storage(strategy: RateLimiter) -> RedisStorage | None:
    """The storage, when ``strategy`` is a moving window in (non-cluster) Redis.

    Those hits go through app/ratelimit_redis.py's one script, and can be sent ahead.
    """
    storage = strategy.storage
    if not isinstance(strategy, MovingWindowRateLimiter) or not isinstance(storage, RedisStorage):
        return None
    return storage if _ratelimit_redis().supports(storage) else None


@functools.lru_cache(maxsize=4096)
def _storage_key(item: RateLimitItem, identifiers: tuple[str, ...]) -> str:
    # What ``limits`` would build on every call (escaping each part): the same few users
    # and addresses ask again and again, so it is built once each.
    return item.key_for(*identifiers)


def _moving_window_hit_and_window(
    storage: MovingWindowSupport, item: RateLimitItem, key: str
) -> tuple[bool, WindowStats]:
    """The moving window's hit and window read, as ``MovingWindowRateLimiter`` makes them.

    The same two storage calls that its ``hit`` and ``get_window_stats`` make, on a key
    built once instead of twice (in memory, one call that makes both).
    """
    expiry = item.get_expiry()
    if isinstance(storage, SweptMemoryStorage):  # memory://: the two in one pass
        acquired, window_start, count = storage.hit_and_window(key, item.amount, expiry)
    else:
        acquired = storage.acquire_entry(key, item.amount, expiry)
        window_start, count = storage.get_moving_window(key, item.amount, expiry)
    return acquired, WindowStats(window_start + expiry, item.amount - count)


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
