"""Each user's API budget, sized by role: every key of the user draws on the same one."""

from __future__ import annotations

from typing import NamedTuple

from limits import RateLimitItem, WindowStats

from app.errors import ApiError
from app.ratelimit import (
    LimitCounter,
    PendingHit,
    parse_limit,
    rate_limit_for,
    rate_limit_headers,
)

SCOPE = "api"


class ApiBudget:
    """Charge one request to a user's budget, or refuse it with 429."""

    def __init__(self, counter: LimitCounter) -> None:
        self.counter = counter

    def sends_ahead(self) -> bool:
        """Whether a charge started early travels to the storage at once (see ``start``)."""
        return self.counter.sends_ahead()

    def start(self, user_id: int, role: str) -> PendingCharge:
        """Start charging a request to ``user_id``'s budget for ``role``; see ``charge``."""
        limit = rate_limit_for(role)
        item = parse_limit(limit)
        hit = self.counter.start_hit_and_window(item, SCOPE, f"user:{user_id}")
        return PendingCharge((user_id, role), limit, item, hit)

    def charge(
        self, user_id: int, role: str, started: PendingCharge | None = None
    ) -> dict[str, str]:
        """Count the request; return its rate-limit headers, or raise a 429 ``ApiError``.

        The role comes from the key's row read on this very request, so a promotion
        applies at once; the limit is part of the storage key, so a new size starts a
        fresh window. ``started``, a charge begun before that read for the owner this
        process remembered, is kept when it was for this user and role, and taken back
        otherwise.
        """
        if started is not None:
            if started.owner == (user_id, role):
                return started.finish()
            started.cancel()
        limit = rate_limit_for(role)
        item = parse_limit(limit)
        allowed, stats = self.counter.hit_and_window(item, SCOPE, f"user:{user_id}")
        return _headers_or_refusal(limit, item, allowed, stats)


class PendingCharge(NamedTuple):
    """A charge whose answer is still to come: ``finish`` or ``cancel`` it, once."""

    owner: tuple[int, str]
    limit: str
    item: RateLimitItem
    hit: PendingHit

    def finish(self) -> dict[str, str]:
        """The request's rate-limit headers, or a 429 ``ApiError`` past the budget."""
        allowed, stats = self.hit.finish()
        return _headers_or_refusal(self.limit, self.item, allowed, stats)

    def cancel(self) -> None:
        """Drop the charge (a hit already sent to Redis is taken back)."""
        self.hit.cancel()


def _headers_or_refusal(
    limit: str, item: RateLimitItem, allowed: bool, stats: WindowStats
) -> dict[str, str]:
    headers = rate_limit_headers(item, stats, refused=not allowed)
    if not allowed:
        raise ApiError(
            429,
            "rate_limited",
            f"Rate limit of {limit} exceeded. Retry in {headers['Retry-After']} seconds.",
            headers,
        )
    return headers
