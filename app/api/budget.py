"""Each user's API budget, sized by role: every key of the user draws on the same one."""

from __future__ import annotations

from app.errors import ApiError
from app.keys.verify import AuthenticatedKey
from app.ratelimit import LimitCounter, parse_limit, rate_limit_for, rate_limit_headers

SCOPE = "api"


class ApiBudget:
    """Charge one request to a user's budget, or refuse it with 429."""

    def __init__(self, counter: LimitCounter) -> None:
        self.counter = counter

    def charge(self, api_key: AuthenticatedKey) -> dict[str, str]:
        """Count the request; return its rate-limit headers, or raise a 429 ``ApiError``.

        The role comes from the key's row read on this very request, so a promotion
        applies at once; the limit is part of the storage key, so a new size starts a
        fresh window.
        """
        limit = rate_limit_for(api_key.role)
        item = parse_limit(limit)
        user = f"user:{api_key.user_id}"
        allowed, stats = self.counter.hit_and_window(item, SCOPE, user)
        headers = rate_limit_headers(item, stats, refused=not allowed)
        if not allowed:
            raise ApiError(
                429,
                "rate_limited",
                f"Rate limit of {limit} exceeded. Retry in {headers['Retry-After']} seconds.",
                headers,
            )
        return headers
