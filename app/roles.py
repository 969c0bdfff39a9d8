"""The roles a user can have, from the least to the most powerful.

Declaration order is the ranking: a role declared later can do more (``Role.rank``).
Adding a role: a member here, its budget in ``ROLE_RATE_LIMITS`` and its console label.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role; its value is what the database, the API and the CLI use."""

    STANDARD = "standard"
    PREMIUM = "premium"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Where the role stands: higher can do more (``<`` on roles would compare text)."""
        return _RANKS[self]

    def outranks(self, other: Role) -> bool:
        """Whether this role can do more than ``other``."""
        return self.rank > other.rank


_RANKS = {role: rank for rank, role in enumerate(Role)}
