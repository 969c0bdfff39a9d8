"""Each user's API budget, sized by role: every key of the user draws on the same one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.errors import ApiError
from app.ratelimit import parse_rate_limit, rate_limit_for, rate_limit_headers
from app.ratelimit.counter import LimitCounter

if TYPE_CHECKING:
    from app.api.gate.windows import RedisWindows

SCOPE = "api"
OWNER = "user:"  # a budget's identifier is OWNER + the user id (admit.lua builds it too)


class ApiBudget:
    """Charge one request to a user's budget, or refuse it with 429.

    With ``shared`` (the Redis gate), the budget is counted by our own window in Redis, as
    admit.lua counts it; otherwise by the ``LimitCounter``. Either way, while the storage
    does not answer, in this process's share of it.
    """

    def __init__(self, counter: LimitCounter, shared: RedisWindows | None = None) -> None:
        self.counter = counter
        self.shared = shared

    def charge(self, user_id: int, role: str) -> tuple[bool, dict[str, str]]:
        """Count the request; whether it is within the budget, and its rate-limit headers.

        The role comes from the key's record read for this request, so a promotion applies
        at once; the limit is part of the budget's name, so a new size starts a fresh window.
        """
        item = parse_rate_limit(rate_limit_for(role))
        identifier = f"{OWNER}{user_id}"
        shared = self.shared
        if shared is None:
            allowed, stats = self.counter.hit_and_window(item, SCOPE, identifier)
        else:
            counted = self.counter.in_storage(lambda: shared.charge(item, SCOPE, identifier))
            if counted is None:
                counted = self.counter.fallback_hit_and_window(item, SCOPE, identifier)
            allowed, stats = counted
        return allowed, rate_limit_headers(item, stats, refused=not allowed)


def over_budget(role: str, headers: dict[str, str], key_id: str | None = None) -> ApiError:
    """The 429 for a request past its owner's budget (``key_id``: the key's, for the log)."""
    return ApiError(
        429,
        "rate_limited",
        f"Rate limit of {rate_limit_for(role)} exceeded. "
        f"Retry in {headers['Retry-After']} seconds.",
        headers,
        reason="over_budget",
        key_id=key_id,
    )
