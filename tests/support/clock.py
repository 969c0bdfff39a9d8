"""A stand-in for ``time.time`` that a test moves by hand."""

from __future__ import annotations

import time


class Clock:
    """A ``time.time`` that only moves when the test says so (for rate-limit windows)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds
