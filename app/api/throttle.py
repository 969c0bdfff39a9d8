"""The budget of failed key checks: per client address and per key id, asked before bcrypt.

Only guessing counts: a wrong secret for a real key id. A malformed, unknown, revoked or
expired key is refused without bcrypt and counts nowhere, so a script stuck on an old key
cannot lock anyone out. A key with a verifier under a known secret is never asked about this
budget at all: its verifier proves it before any budget is looked at
(app/keys/verification.py). Counting per key id as well as per address means guesses spread
over many addresses buy nothing more.

A key that still needs bcrypt (no verifier under a known secret) must not be locked out by
guesses either. A check from the address of the key's last recorded use is charged to a
budget of that key id at that address alone, the same size as the key id's: guesses from
any other address, at this key id or any other, cannot spend it.
"""

from __future__ import annotations

from app.ratelimit import parse_rate_limit, rate_limit_headers
from app.ratelimit.counter import LimitCounter

ADDRESS_SCOPE = "failed-key"
KEY_SCOPE = "failed-key-id"
HOME_SCOPE = "failed-key-home"


class FailedKeyThrottle:
    """Count failed key checks; say whether one more bcrypt check is allowed."""

    def __init__(self, counter: LimitCounter, per_address: str, per_key: str) -> None:
        self.counter = counter
        self.per_address = parse_rate_limit(per_address)
        self.per_key = parse_rate_limit(per_key)

    def take_check(self, address: str, key_id: str, last_address: str | None) -> bool:
        """Count a bcrypt check of ``key_id`` from ``address`` before it runs; whether it may.

        Counted first (one atomic hit each), so concurrent guesses on many workers can never
        buy more checks than the budgets hold. Only keys without a usable verifier get here.
        ``last_address``: where the key was last used from; a check from there is charged to
        that key id at that address alone (see the module's docstring).
        """
        if address == last_address:
            allowed, _ = self.counter.hit_and_window(self.per_key, HOME_SCOPE, key_id, address)
            return allowed
        address_ok, _ = self.counter.hit_and_window(self.per_address, ADDRESS_SCOPE, address)
        key_ok, _ = self.counter.hit_and_window(self.per_key, KEY_SCOPE, key_id)
        return address_ok and key_ok

    def record_failure(self, address: str, key_id: str) -> tuple[bool, dict[str, str]]:
        """Count a wrong secret; say whether both budgets still hold, with the headers."""
        address_ok, stats = self.counter.hit_and_window(self.per_address, ADDRESS_SCOPE, address)
        key_ok, _ = self.counter.hit_and_window(self.per_key, KEY_SCOPE, key_id)
        within = address_ok and key_ok
        return within, rate_limit_headers(self.per_address, stats, refused=not within)

    def headers(self, address: str) -> dict[str, str]:
        """The rate-limit headers of an answer to ``address`` that no key authenticated."""
        stats = self.counter.window(self.per_address, ADDRESS_SCOPE, address)
        return rate_limit_headers(self.per_address, stats, refused=stats.remaining <= 0)
