"""A ceiling on the CPU that password checks may take, whoever asks and from wherever.

Each sign-in runs one bcrypt check (an unknown email too, against a dummy hash, so both
take as long), and so does each sign-up; at cost 12 that is about a quarter of a second of
CPU. The budgets per address and per email cannot bound the sum over many addresses, so
every check also needs:

- one of ``PASSWORD_CHECKS_PER_PROCESS`` slots of its process, taken without waiting;
- room in a fleet-wide budget of ``PASSWORD_CHECK_RATE_LIMIT``, counted in the limiter
  storage like every other budget. Sign-ins from an address the user signed in from before
  have a budget of their own beside everyone else's, so a flood from elsewhere cannot keep
  them out.

Without either, the check does not run and the caller answers 429 at once. The fleet's
password checks therefore take at most twice the rate times one check's CPU.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from limits import WindowStats

from app.ratelimit import parse_rate_limit, seconds_until
from app.ratelimit.counter import LimitCounter

# Names the fleet-wide budgets in the limiter storage.
CHECKS_BUDGET = "password-checks"
EVERYONE, USUAL_ADDRESS = "everyone", "usual-address"


class ChecksBusy(Exception):
    """No password check may run now; ``retry_after`` seconds until one may."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"password checks are busy; retry in {retry_after} s")
        self.retry_after = retry_after


class PasswordChecks:
    """Slots of this process, and the fleet's budget, for password checks."""

    def __init__(self, counter: LimitCounter, per_process: int, rate: str) -> None:
        self.counter = counter
        self.rate = parse_rate_limit(rate)
        self._slots = threading.BoundedSemaphore(max(1, int(per_process)))

    def busy(self, usual_address: Callable[[], bool] = lambda: False) -> int | None:
        """Seconds to wait when the fleet's budget is spent right now, else None.

        A look that counts nothing, so that a flood is refused at the cost of one round
        trip to the storage; ``slot`` still counts each check that runs.
        """
        if self.counter.test(self.rate, CHECKS_BUDGET, EVERYONE):
            return None
        if usual_address() and self.counter.test(self.rate, CHECKS_BUDGET, USUAL_ADDRESS):
            return None
        return self.rate.get_expiry()  # a moving window has room again within its length

    @contextmanager
    def slot(self, usual_address: Callable[[], bool] = lambda: False) -> Iterator[None]:
        """Run the block (one password check) if a slot and the budget allow it.

        Else raise ``ChecksBusy``, without running the block. ``usual_address()`` is asked
        only when everyone's budget is spent: whether the person signs in from an address
        they signed in from before.
        """
        if not self._slots.acquire(blocking=False):
            raise ChecksBusy(1)  # another check of this process ends within a second
        try:
            refused = self._charge(usual_address)
            if refused is not None:
                raise ChecksBusy(seconds_until(refused.reset_time))
            yield
        finally:
            self._slots.release()

    def _charge(self, usual_address: Callable[[], bool]) -> WindowStats | None:
        allowed, window = self.counter.hit_and_window(self.rate, CHECKS_BUDGET, EVERYONE)
        if allowed:
            return None
        if usual_address():
            allowed, _ = self.counter.hit_and_window(self.rate, CHECKS_BUDGET, USUAL_ADDRESS)
            if allowed:
                return None
        return window
