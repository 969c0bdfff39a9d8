"""What a key may be: its name, its access, its expiry, and durations as people write them.

Each refusal is a ``KeyRefused`` whose ``str()`` is the message to show the person.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from app.keys.access import KeyAccess

MAX_NAME_LENGTH = 100
MAX_EXPIRY = timedelta(days=5 * 365)
DURATION = re.compile(r"(?P<number>\d{1,6})(?P<unit>[smhd])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class KeyRefused(ValueError):
    """Base for refusals a user can fix; ``str()`` is the message to show them."""


class InvalidKeyName(KeyRefused):
    """The name is blank, too long or holds control characters."""


class InvalidAccess(KeyRefused):
    """The access is not a ``KeyAccess``."""


class InvalidExpiry(KeyRefused):
    """The expiry is in the past, or too far ahead."""


class InvalidDuration(KeyRefused):
    """A duration is not a number and a unit (``90s``, ``15m``, ``12h``, ``30d``)."""


def too_long_message(length: int | str) -> object:
    """What a name of ``length`` characters is told (lazily translated).

    The console's name fields say it too, as the name is typed or pasted.
    """
    return _l(
        "Key names are at most %(count)d characters; this one has %(length)s.",
        count=MAX_NAME_LENGTH,
        length=length,
    )


def clean_key_name(name: str | None) -> str:
    """Return ``name`` trimmed, or raise ``InvalidKeyName`` saying what is wrong."""
    name = (name or "").strip()
    if not name:
        raise InvalidKeyName(_l("Give the key a name, such as the app that will use it."))
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidKeyName(too_long_message(len(name)))
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise InvalidKeyName(_l("Key names cannot contain control characters."))
    return name


def check_access(access: object) -> KeyAccess:
    """Return ``access`` as a ``KeyAccess``, or raise ``InvalidAccess``."""
    if isinstance(access, str) and access in set(KeyAccess):
        return KeyAccess(access)
    raise InvalidAccess(_l("Choose the key's access: full, read-only or restricted."))


def check_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    """Return ``expires_at`` if it is after ``now`` and at most 5 years ahead (or None)."""
    if expires_at is None:
        return None
    if expires_at <= now:
        raise InvalidExpiry(_l("Choose an expiry date in the future."))
    if expires_at - now > MAX_EXPIRY:
        raise InvalidExpiry(_l("A key can expire at most 5 years from now."))
    return expires_at


def parse_duration(text: str, *, allow_zero: bool = False) -> timedelta:
    """``"90s"``, ``"15m"``, ``"12h"`` or ``"30d"`` as a timedelta; ``InvalidDuration`` else."""
    match = DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidDuration(
            _l(
                "%(text)r is not a duration: use a number and s, m, h or d, such as 90s or 30d.",
                text=text,
            )
        )
    duration = timedelta(**{UNITS[match["unit"]]: int(match["number"])})
    if not duration and not allow_zero:
        raise InvalidDuration(_l("The duration must be more than zero."))
    return duration
