"""Sign-in budgets that protect accounts without letting strangers lock them.

Only failures count, per address, per email from one address, and per email from all
addresses; the user's usual address is exempt from the last, so guessing elsewhere cannot
lock them out. An email names a budget only as an HMAC under a secret derived from
``SECRET_KEY``: the limiter storage (Redis) cannot tell whether a known address signed in.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from limits import WindowStats

from app.ratelimit import parse_rate_limit
from app.ratelimit.counter import LimitCounter

ADDRESS = "sign-in-address"
EMAIL_FROM_ADDRESS = "sign-in-email-address"
EMAIL = "sign-in-email"


# Names the HMAC key derived from SECRET_KEY for this use and no other.
EMAIL_ID_LABEL = b"chameleon sign-in budget email"


class SignInBudgets:
    """Ask before a sign-in attempt; count it when it fails."""

    def __init__(
        self,
        counter: LimitCounter,
        per_address: str,
        per_email: str,
        per_email_all: str,
        *,
        secret_key: str,
    ) -> None:
        self.counter = counter
        self._email_key = hmac.digest(secret_key.encode(), EMAIL_ID_LABEL, hashlib.sha256)
        self.per_address = parse_rate_limit(per_address)
        self.per_email = parse_rate_limit(per_email)
        self.per_email_all = parse_rate_limit(per_email_all)

    def refusal(
        self, email: str, address: str, usual_address: Callable[[], bool]
    ) -> WindowStats | None:
        """The window of the budget that refuses this attempt, or None when it may go on.

        ``usual_address()`` is asked only when the all-addresses budget is spent.
        """
        email_id = self._email_id(email)
        checks = [
            (self.per_address, (ADDRESS, address)),
            (self.per_email, (EMAIL_FROM_ADDRESS, email_id, address)),
        ]
        for item, identifiers in checks:
            if not self.counter.test(item, *identifiers):
                return self.counter.window(item, *identifiers)
        every = (EMAIL, email_id)
        if not self.counter.test(self.per_email_all, *every) and not usual_address():
            return self.counter.window(self.per_email_all, *every)
        return None

    def _email_id(self, email: str) -> str:
        """What names ``email``'s budgets: keyed, so nobody without the secret can match it."""
        encoded = email.encode("utf-8", "surrogatepass")
        return hmac.new(self._email_key, encoded, hashlib.sha256).hexdigest()[:32]

    def failed(self, email: str, address: str) -> None:
        """Count a failed sign-in against all three budgets."""
        email_id = self._email_id(email)
        self.counter.hit_and_window(self.per_address, ADDRESS, address)
        self.counter.hit_and_window(self.per_email, EMAIL_FROM_ADDRESS, email_id, address)
        self.counter.hit_and_window(self.per_email_all, EMAIL, email_id)

    def sign_up_refusal(self, address: str) -> WindowStats | None:
        """The per-address window when it refuses a sign-up attempt, else None."""
        if self.counter.test(self.per_address, ADDRESS, address):
            return None
        return self.counter.window(self.per_address, ADDRESS, address)

    def signed_up(self, address: str) -> None:
        """Count a sign-up attempt (made or refused) against the address."""
        self.counter.hit_and_window(self.per_address, ADDRESS, address)
