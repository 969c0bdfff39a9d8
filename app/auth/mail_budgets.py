"""Budgets for requests that send mail or try second-factor codes.

- Requests that mail someone (password resets, sign-ups): per client address
  (``LOGIN_RATE_LIMIT_PER_ADDRESS``, the sign-in budget's size, counted apart) and per
  email (``MAIL_RATE_LIMIT_PER_EMAIL``), so nobody can flood a mailbox, whether or not
  the address has an account.
- Second-factor codes: wrong codes per user (``TWO_FACTOR_RATE_LIMIT``), from any address.

Emails name a budget by an HMAC under a key derived from ``SECRET_KEY``: the limiter
storage can tell no address it holds from a list of known ones.
"""

from __future__ import annotations

import hashlib
import hmac

from limits import WindowStats

from app.ratelimit import parse_rate_limit
from app.ratelimit.counter import LimitCounter

MAIL_ADDRESS = "mail-address"
MAIL_EMAIL = "mail-email"
TWO_FACTOR_USER = "two-factor-user"


class MailBudgets:
    """Ask before a mail-sending request or a code attempt; count it after."""

    def __init__(
        self,
        counter: LimitCounter,
        *,
        per_address: str,
        per_email: str,
        codes_per_user: str,
        secret_key: str,
    ) -> None:
        self.counter = counter
        self.per_address = parse_rate_limit(per_address)
        self.per_email = parse_rate_limit(per_email)
        self.codes_per_user = parse_rate_limit(codes_per_user)
        self._key = hmac.digest(secret_key.encode(), b"chameleon mail budgets", hashlib.sha256)

    def _email_id(self, email: str) -> str:
        folded = email.strip().lower().encode("utf-8", "surrogatepass")
        return hmac.new(self._key, folded, hashlib.sha256).hexdigest()[:32]

    def mail_refusal(self, email: str, address: str) -> WindowStats | None:
        """The window that refuses this request for mail (a reset, a sign-up), else None."""
        for item, identifiers in (
            (self.per_address, (MAIL_ADDRESS, address)),
            (self.per_email, (MAIL_EMAIL, self._email_id(email))),
        ):
            if not self.counter.test(item, *identifiers):
                return self.counter.window(item, *identifiers)
        return None

    def mail_requested(self, email: str, address: str) -> None:
        """Count a request for mail against the address and the email."""
        self.counter.hit_and_window(self.per_address, MAIL_ADDRESS, address)
        self.counter.hit_and_window(self.per_email, MAIL_EMAIL, self._email_id(email))

    def code_refusal(self, user_id: int) -> WindowStats | None:
        """The window that refuses another code attempt for this user, else None."""
        identifiers = (TWO_FACTOR_USER, str(user_id))
        if self.counter.test(self.codes_per_user, *identifiers):
            return None
        return self.counter.window(self.codes_per_user, *identifiers)

    def code_failed(self, user_id: int) -> None:
        """Count a wrong code against the user."""
        self.counter.hit_and_window(self.codes_per_user, TWO_FACTOR_USER, str(user_id))
