"""Each user's API budget, sized by role: every key of the user draws on the same one."""

from __future__ import annotations

from app.errors import ApiError
from app.ratelimit import parse_limit, rate_limit_for, rate_limit_headers
from app.ratelimit.counter import LimitCounter

SCOPE = "api"


class ApiBudget:
    """Charge one request to a user's budget, or refuse it with 429."""

    def __init__(self, counter: LimitCounter) -> None:
        self.counter = counter

    def charge(self, user_id: int, role: str) -> tuple[bool, dict[str, str]]:
        """Count the request; whether it is within the budget, and its rate-limit headers.

        The role comes from the key's row read on this very request, so a promotion
        applies at once; the limit is part of the storage key, so a new size starts a
        fresh window.
        """
        limit = rate_limit_for(role)
        item = parse_limit(limit)
        allowed, stats = self.counter.hit_and_window(item, SCOPE, f"user:{user_id}")
        return allowed, rate_limit_headers(item, stats, refused=not allowed)


def over_budget(role: str, headers: dict[str, str]) -> ApiError:
    """The 429 for a request past its owner's budget."""
    return ApiError(
        429,
        "rate_limited",
        f"Rate limit of {rate_limit_for(role)} exceeded. "
        f"Retry in {headers['Retry-After']} seconds.",
        headers,
        reason="over_budget",
    )
