"""The budget of failed key checks per client address, asked before bcrypt runs."""

from __future__ import annotations

from app.ratelimit import LimitCounter, parse_limit, rate_limit_headers

SCOPE = "failed-key"


class FailedKeyThrottle:
    """Count failed key checks per address; say whether one more bcrypt check is allowed."""

    def __init__(self, counter: LimitCounter, limit: str) -> None:
        self.counter = counter
        self.item = parse_limit(limit)

    def allows(self, address: str) -> bool:
        """Whether ``address`` may have one more key check (and its bcrypt) now."""
        return self.counter.test(self.item, SCOPE, address)

    def record_failure(self, address: str) -> tuple[bool, dict[str, str]]:
        """Count a failed check; say whether the address is still within its budget.

        Also returns the answer's rate-limit headers: one storage round trip for both.
        """
        allowed, stats = self.counter.hit_and_window(self.item, SCOPE, address)
        return allowed, rate_limit_headers(self.item, stats, refused=not allowed)

    def headers(self, address: str) -> dict[str, str]:
        """The rate-limit headers of an answer to ``address`` that no key authenticated."""
        stats = self.counter.window(self.item, SCOPE, address)
        return rate_limit_headers(self.item, stats, refused=stats.remaining <= 0)
