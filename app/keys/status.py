"""Where a key stands at a moment: usable, paused, past its expiry, or revoked for good."""

from __future__ import annotations

from enum import StrEnum


class KeyStatus(StrEnum):
    """A key's status; revoked wins over expired, expired over disabled."""

    ACTIVE = "active"
    DISABLED = "disabled"
    EXPIRED = "expired"
    REVOKED = "revoked"
