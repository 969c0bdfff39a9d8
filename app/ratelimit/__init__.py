"""Rate limits: whom they count, how big each budget is, and what an answer says about it.

Flask-Limiter owns the storage (``RATELIMIT_STORAGE_URI``) and the strategy (a moving
window). Every budget (the API's per user, failed key checks, sign-in attempts) is counted
through ``LimitCounter`` (``counter.py``), which falls back to a share of the budget in
process memory while the storage does not answer. With ``memory://`` the moving windows
are counted by ``windows.py``. Nothing here ever puts a key into a storage key: only user
ids, key ids, HMACs of emails (under a secret of the caller's), and client addresses.
"""

from __future__ import annotations

import functools
import math
import time
from typing import TYPE_CHECKING

from flask import Flask, current_app, request
from limits import RateLimitItem, WindowStats, parse

if TYPE_CHECKING:
    from app.ratelimit.counter import LimitCounter


def client_address() -> str:
    """The client's address: the socket peer, or what trusted proxies say (app/http.py)."""
    return request.remote_addr or "unknown"


def rate_limit_for(role: str) -> str:
    """The limit string (``"100 per minute"``) that ``ROLE_RATE_LIMITS`` gives ``role``."""
    return current_app.config["ROLE_RATE_LIMITS"][role]


RATE_LIMITS_CACHED = 64  # limit strings kept parsed: the config has a handful


@functools.lru_cache(maxsize=RATE_LIMITS_CACHED)
def parse_rate_limit(text: str) -> RateLimitItem:
    """``"100 per minute"`` as a limit item, parsed once (the budgets are read per request)."""
    return parse(text)


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


def init_app(app: Flask) -> None:
    """Make the app's ``LimitCounter`` on Flask-Limiter's storage (after ``limiter.init_app``)."""
    from app.extensions import limiter
    from app.ratelimit.counter import LimitCounter

    app.extensions["limit_counter"] = LimitCounter(
        storage=lambda: limiter.storage,
        strategy_name=app.config["RATELIMIT_STRATEGY"],
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        fallback_divisor=app.config["RATELIMIT_FALLBACK_DIVISOR"],
    )


def limit_counter() -> LimitCounter:
    """The current app's ``LimitCounter``."""
    return current_app.extensions["limit_counter"]
