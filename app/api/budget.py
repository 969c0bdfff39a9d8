"""Each user's API budget, sized by role, and a key's own rate limit on top of it.

Every key of a user draws on the same budget; a key with its own limit (``10 per minute``)
also has a window of its own, and a request must fit both: it is counted in both or in
neither. The answer's rate-limit headers describe whichever is closer to running out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from limits import RateLimitItem, WindowStats

from app.errors import ApiError
from app.ratelimit import parse_rate_limit, rate_limit_for, rate_limit_headers
from app.ratelimit.counter import LimitCounter

if TYPE_CHECKING:
    from app.api.gate.windows import RedisWindows

SCOPE = "api"
OWNER = "user:"  # a budget's identifier is OWNER + the user id (admit.lua builds it too)
KEY = "key:"  # a key's own window: KEY + the key's row id (admit.lua builds it too)

Budget = tuple[RateLimitItem, str, str]  # (limit, scope, identifier)


class Charged(NamedTuple):
    """Whether the request fits, its headers, and the key's own limit if that decided them."""

    allowed: bool
    headers: dict[str, str]
    own_limit: str | None = None


class ApiBudget:
    """Charge one request to a user's budget (and its key's own limit), or refuse it with 429.

    With ``shared`` (the Redis gate), the budgets are counted by our own window in Redis, as
    admit.lua counts them; otherwise by the ``LimitCounter``. Either way, while the storage
    does not answer, in this process's share of them.
    """

    def __init__(self, counter: LimitCounter, shared: RedisWindows | None = None) -> None:
        self.counter = counter
        self.shared = shared

    def charge(
        self, user_id: int, role: str, own_limit: str | None = None, key_pk: int = 0
    ) -> Charged:
        """Count the request; whether it fits, and its rate-limit headers.

        The role comes from the key's record read for this request, so a promotion applies
        at once; the limit is part of the budget's name, so a new size starts a fresh window.
        ``own_limit``: the key's own (its row id ``key_pk`` names its window).
        """
        budgets: list[Budget] = [
            (parse_rate_limit(rate_limit_for(role)), SCOPE, OWNER + str(user_id))
        ]
        if own_limit:
            budgets.append((parse_rate_limit(own_limit), SCOPE, f"{KEY}{key_pk}"))
        shared = self.shared
        if shared is None:
            allowed, windows = self._in_counter(budgets)
        else:
            counted = self.counter.in_storage(lambda: shared.charge_all(budgets))
            if counted is None:
                counted = self._in_fallback(budgets)
            allowed, windows = counted
        return describe([budget[0] for budget in budgets], windows, allowed, own_limit)

    def _in_counter(self, budgets: Sequence[Budget]) -> tuple[bool, list[WindowStats]]:
        counter = self.counter
        # The key's own window first, uncounted: a key at its limit must not spend its
        # owner's budget, which the owner's other keys share.
        if all(counter.test(*budget) for budget in budgets[1:]):
            results = [counter.hit_and_window(*budget) for budget in budgets]
            return all(allowed for allowed, _ in results), [window for _, window in results]
        return False, [counter.window(*budget) for budget in budgets]

    def _in_fallback(self, budgets: Sequence[Budget]) -> tuple[bool, list[WindowStats]]:
        results = [self.counter.fallback_hit_and_window(*budget) for budget in budgets]
        return all(allowed for allowed, _ in results), [window for _, window in results]


def describe(
    items: Sequence[RateLimitItem],
    windows: Sequence[WindowStats],
    allowed: bool,
    own_limit: str | None,
) -> Charged:
    """The answer's headers from whichever window is closer to running out (the owner's first).

    ``items`` and ``windows``: the owner's budget, then the key's own limit if it has one.
    """
    closest = min(range(len(items)), key=lambda i: (windows[i].remaining, -windows[i].reset_time))
    headers = rate_limit_headers(items[closest], windows[closest], refused=not allowed)
    return Charged(allowed, headers, own_limit if closest else None)


def over_budget(
    role: str, headers: dict[str, str], own_limit: str | None = None, key_id: str | None = None
) -> ApiError:
    """The 429 for a request past its owner's budget, or past its key's own limit.

    ``key_id``: the key's, for the log.
    """
    limit = f"{own_limit} for this key" if own_limit else rate_limit_for(role)
    return ApiError(
        429,
        "rate_limited",
        f"Rate limit of {limit} exceeded. Retry in {headers['Retry-After']} seconds.",
        headers,
        reason="over_budget",
        key_id=key_id,
    )
